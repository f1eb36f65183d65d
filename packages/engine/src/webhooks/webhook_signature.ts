import { createHmac } from 'node:crypto'

/**
 * The headers Pusher sends with a webhook. The content type has no charset:
 * the official SDKs compare it with "application/json" exactly and reject
 * anything else.
 */
export function webhookHeaders(key: string, secret: string, body: string) {
  return {
    'Content-Type': 'application/json',
    'X-Pusher-Key': key,
    'X-Pusher-Signature': createHmac('sha256', secret).update(body).digest('hex'),
  }
}
