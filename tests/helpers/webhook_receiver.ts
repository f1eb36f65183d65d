import Pusher from 'pusher'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'

export interface ReceivedWebhook {
  path: string
  headers: IncomingHttpHeaders
  rawBody: string
  /**
   * What the official SDK's webhook check says
   */
  valid: boolean
  /**
   * From the SDK when valid, from the raw body otherwise
   */
  events: any[]
  time?: Date
  /**
   * What the receiver answered; undefined while held
   */
  status?: number
}

/**
 * An app receiving Pusher webhooks, checked with the official "pusher" SDK
 * as a real app would. Tests queue statuses to answer with, or hold
 * requests unanswered to stall the sender.
 */
export class WebhookReceiver {
  static readonly APP_ID = '1'
  static readonly KEY = 'hook-key'
  static readonly SECRET = 'hook-secret'

  readonly received: ReceivedWebhook[] = []
  #statuses: number[] = []
  #always?: number
  #held?: Array<() => void>
  #server?: Server
  #validator = pusherSdk(WebhookReceiver.SECRET)

  get url() {
    const { port } = this.#server!.address() as AddressInfo
    return `http://127.0.0.1:${port}`
  }

  async start() {
    this.#server = createServer(async (req, res) => {
      const chunks: Buffer[] = []
      for await (const chunk of req) chunks.push(chunk)
      const rawBody = Buffer.concat(chunks).toString('utf8')
      const webhook = this.#validator.webhook({ headers: req.headers, rawBody })
      const valid = webhook.isValid()
      const entry: ReceivedWebhook = {
        path: req.url!,
        headers: req.headers,
        rawBody,
        valid,
        events: valid ? webhook.getEvents() : parseEvents(rawBody),
        time: valid ? webhook.getTime() : undefined,
      }
      this.received.push(entry)
      if (this.#held) await new Promise<void>((resolve) => this.#held!.push(resolve))
      entry.status = this.#statuses.shift() ?? this.#always ?? 200
      res.writeHead(entry.status).end()
    })
    this.#server.listen(0, '127.0.0.1')
    await once(this.#server, 'listening')
    return this
  }

  /**
   * Answer the next requests with these statuses (then 200)
   */
  respondWith(...statuses: number[]) {
    this.#statuses.push(...statuses)
  }

  /**
   * Answer every request with this status until told otherwise
   */
  alwaysRespond(status: number | undefined) {
    this.#always = status
  }

  /**
   * Leave requests unanswered until release()
   */
  hold() {
    this.#held ??= []
  }

  release() {
    const held = this.#held ?? []
    this.#held = undefined
    for (const resolve of held) resolve()
  }

  /**
   * The events of the requests answered 2xx, in arrival order
   */
  delivered(path?: string) {
    return this.received
      .filter((entry) => entry.status !== undefined && entry.status < 300)
      .filter((entry) => path === undefined || entry.path === path)
      .flatMap((entry) => entry.events)
  }

  async close() {
    this.release()
    this.#server?.closeAllConnections()
    await new Promise((resolve) => this.#server?.close(resolve))
  }
}

/**
 * Waits until "condition" holds, checking every few ms, so tests assert on
 * an outcome rather than on how long it took
 */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

function parseEvents(rawBody: string): any[] {
  try {
    return JSON.parse(rawBody).events ?? []
  } catch {
    return []
  }
}

/**
 * The official server SDK with the receiver's app id and key; the cluster
 * is required by its types but unused for checking webhooks
 */
export function pusherSdk(secret: string) {
  return new Pusher({
    appId: WebhookReceiver.APP_ID,
    key: WebhookReceiver.KEY,
    secret,
    cluster: 'mt1',
  })
}
