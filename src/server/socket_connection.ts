import { randomInt } from 'node:crypto'
import type { WebSocket } from 'ws'
import type { PresenceMember } from './state/channel_state.ts'
import { CloseCode, closeReason, errorFrame } from './protocol.ts'
import type { ServerMetrics } from '../metrics/server_metrics.ts'

/**
 * How long a slow consumer gets to read its close frame before it is dropped
 */
const SLOW_CONSUMER_GRACE_MS = 1000

/**
 * A socket id: two random integers joined by a dot, as the "pusher" SDK
 * requires (^\d+\.\d+$), hard to guess and unique across nodes in practice
 */
export function createSocketId() {
  return `${randomInt(1, 1_000_000_000)}.${randomInt(1, 1_000_000_000)}`
}

/**
 * One client connection: its socket id, its subscriptions, the user it
 * signed in as, and its liveness and rate-limit counters
 */
export class SocketConnection {
  readonly id = createSocketId()

  /**
   * Subscribed channels; for presence channels, the member it joined as
   * (kept whole: after the shared state lost it, the node joins again)
   */
  readonly channels = new Map<string, PresenceMember | null>()

  /**
   * Channels whose subscription is being authorized, each with a token: an
   * unsubscribe or a later subscribe replaces or drops it, so the last
   * message about a channel wins
   */
  readonly pending = new Map<string, symbol>()

  /**
   * The user each channel counts this socket under for the per-user limits
   * (presence: the member id; private: the signed-in user)
   */
  readonly countedAs = new Map<string, string>()

  /**
   * Set by "pusher:signin"
   */
  userId?: string
  userInfo?: unknown

  /**
   * Told of a slow-consumer drop (set by the server when metrics are on)
   */
  metrics?: ServerMetrics

  lastActivity = Date.now()
  pingedAt?: number
  closed = false

  #windowStart = 0
  #windowCount = 0

  constructor(
    readonly ws: WebSocket,
    protected maxBufferedBytes: number,
    /**
     * The client's IP address as the socket sees it
     */
    readonly address = ''
  ) {}

  /**
   * Sends a frame already serialized (shared by every recipient of a
   * broadcast). A slow consumer is closed with 4100 instead of letting its
   * buffer grow; it reconnects after a back-off.
   */
  send(frame: string | Buffer) {
    if (this.closed) return
    if (this.ws.bufferedAmount > this.maxBufferedBytes) {
      this.close(CloseCode.OVER_CAPACITY, 'Slow consumer: send buffer full')
      this.metrics?.slowConsumerDropped?.()
      /**
       * The close frame waits behind everything the client has not read:
       * drop the socket if it does not drain soon, so its buffer is freed
       */
      setTimeout(() => this.ws.terminate(), SLOW_CONSUMER_GRACE_MS).unref()
      return
    }
    this.ws.send(frame, { binary: false })
  }

  /**
   * Sends a non-fatal "pusher:error"
   */
  error(code: number | null, message: string) {
    this.send(errorFrame(code, message))
  }

  /**
   * Sends "pusher:error" with the code and closes with the same code, so
   * pusher-js takes the matching action whichever it sees first
   */
  close(code: number, message: string) {
    if (this.closed) return
    this.closed = true
    if (this.ws.readyState === this.ws.OPEN) {
      this.ws.send(errorFrame(code, message))
      this.ws.close(code, closeReason(message))
    } else {
      this.ws.terminate()
    }
  }

  /**
   * Counts one client event; false when over the per-second limit
   */
  takeClientEvent(perSecond: number): boolean {
    const now = Date.now()
    if (now - this.#windowStart >= 1000) {
      this.#windowStart = now
      this.#windowCount = 0
    }
    this.#windowCount++
    return this.#windowCount <= perSecond
  }
}
