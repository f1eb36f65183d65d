/**
 * Pusher protocol v7 frames and close codes, as pusher-js 8 expects them.
 * Server frames always carry "data" as a JSON string (double encoding),
 * which is what every official client accepts.
 */

/**
 * A Pusher socket id: two numbers joined by a dot ("123.456")
 */
export const SOCKET_ID_PATTERN = /^\d+\.\d+$/

/**
 * The longest event name, in characters (Pusher's limit)
 */
export const MAX_EVENT_NAME_LENGTH = 200

/**
 * Close codes. 4000-4099: the client does not reconnect; 4100-4199: it
 * reconnects after a back-off; 4200-4299: it reconnects at once. Never close
 * with 43xx: pusher-js treats those as fatal.
 */
export const CloseCode = {
  APP_NOT_FOUND: 4001,
  APP_DISABLED: 4003,
  OVER_QUOTA: 4004,
  PATH_NOT_FOUND: 4005,
  UNAUTHORIZED: 4009,
  OVER_CAPACITY: 4100,
  RECONNECT: 4200,
  PONG_NOT_RECEIVED: 4201,
} as const

/**
 * A close reason within the 123 bytes a close frame allows ("ws" throws
 * above it), cut on a character boundary: reasons may quote client input
 */
export function closeReason(message: string): string {
  const bytes = Buffer.from(message)
  if (bytes.length <= 123) return message
  let end = 123
  // Step back over UTF-8 continuation bytes (10xxxxxx)
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--
  return bytes.subarray(0, end).toString()
}

/**
 * Codes of non-fatal "pusher:error" frames
 */
export const ErrorCode = {
  CLIENT_EVENT_RATE_LIMIT: 4301,
  WATCHLIST_LIMIT: 4302,
} as const

/**
 * An inbound frame once parsed: "data" as the client sent it (pusher-js
 * sends objects, other clients strings)
 */
export interface InboundFrame {
  event: string
  channel?: string
  data?: unknown
}

/**
 * One server frame as a string. "data" must already be a string.
 */
export function encodeFrame(event: string, data?: string, channel?: string, userId?: string) {
  const frame: Record<string, string> = { event }
  if (channel !== undefined) frame.channel = channel
  if (data !== undefined) frame.data = data
  if (userId !== undefined) frame.user_id = userId
  return JSON.stringify(frame)
}

/**
 * A "pusher:error" frame. Real Pusher sends its "data" as an object; a
 * string is what the checklist asks for and pusher-js accepts both.
 */
export function errorFrame(code: number | null, message: string) {
  return encodeFrame('pusher:error', JSON.stringify({ code, message }))
}

/**
 * A channel-scoped subscription error (as soketi sends it), so pusher-js
 * channel listeners and Echo's ".error()" see why a subscription failed
 */
export function subscriptionErrorFrame(channel: string, status: number, error: string) {
  return encodeFrame(
    'pusher:subscription_error',
    JSON.stringify({ type: 'AuthError', error, status }),
    channel
  )
}

/**
 * Parses an inbound text frame; null for anything that is not an object
 * with a string "event" (and, when present, a string "channel")
 */
export function parseFrame(raw: string): InboundFrame | null {
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    return null
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
  const frame = value as Record<string, unknown>
  if (typeof frame.event !== 'string' || frame.event.length === 0) return null
  if (frame.channel !== undefined && typeof frame.channel !== 'string') return null
  return { event: frame.event, channel: frame.channel as string | undefined, data: frame.data }
}

/**
 * The "data" of an inbound frame as an object: pusher-js sends objects,
 * other clients JSON strings. Null when it is neither.
 */
export function frameData(data: unknown): Record<string, unknown> | null {
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data)
    } catch {
      return null
    }
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return null
  return data as Record<string, unknown>
}
