import { randomInt } from 'node:crypto'
import type { Duplex } from 'node:stream'
import type { WebSocket } from 'ws'
import type { ChannelState } from '../state/channel_state.ts'
import { SocketSubscriptions } from './socket_subscriptions.ts'
import { CloseCode, closeReason, errorFrame } from '../protocol.ts'
import type { ServerEvents } from '../server_events.ts'
import { TURN_BATCH, type WriteBatch } from './write_batch.ts'

/**
 * How long a slow consumer gets to read its close frame before it is dropped
 */
const SLOW_CONSUMER_GRACE_MS = 1000

/**
 * Held frames past this many bytes are written at once: a burst must not
 * look like a slow consumer, and the gain of coalescing is in small frames
 */
const MAX_HELD_BYTES = 16 * 1024

/**
 * How "ws" sends our text frames (one object for every send)
 */
const TEXT = { binary: false }

/**
 * A socket id: two random integers joined by a dot, as the "pusher" SDK
 * requires (^\d+\.\d+$), hard to guess and unique across nodes in practice
 */
export function createSocketId() {
  // join() makes one flat string; a template literal would keep its parts
  return [randomInt(1, 1_000_000_000), randomInt(1, 1_000_000_000)].join('.')
}

/**
 * What every socket of a server shares (one object for the server, not a
 * field each on every socket)
 */
export interface SocketSettings {
  /**
   * Past this many buffered bytes a socket is a slow consumer
   */
  readonly maxBufferedBytes: number
  /**
   * Held frames past this many bytes are written at once
   */
  readonly maxHeld: number
  /**
   * Told of a slow-consumer drop
   */
  readonly events?: ServerEvents
  /**
   * When the gathered frames are written: the server's batch
   */
  readonly batch: WriteBatch
}

export function socketSettings(
  maxBufferedBytes: number,
  events?: ServerEvents,
  batch: WriteBatch = TURN_BATCH
): SocketSettings {
  const maxHeld = Math.min(MAX_HELD_BYTES, maxBufferedBytes / 4)
  return { maxBufferedBytes, maxHeld, events, batch }
}

/**
 * A socket's sign-in in the cluster (online for watchlists) and what it
 * watches
 */
export interface SignedIn {
  release(): Promise<void>
  rejoin(state: ChannelState): Promise<unknown>
}

/**
 * The user a socket signed in as ("pusher:signin"), made on sign-in: most
 * sockets never sign in
 */
interface SignIn {
  id?: string
  info?: unknown
  signedIn?: SignedIn
}

/**
 * One client connection: its socket id, its subscriptions, the user it
 * signed in as, and its liveness and rate-limit counters
 */
export class SocketConnection {
  readonly id = createSocketId()

  /**
   * Its subscriptions by channel, being authorized or subscribed
   */
  readonly subscriptions = new SocketSubscriptions()

  /**
   * Subscribed channels, each with its subscription (and for presence
   * channels the member it joined as)
   */
  get channels() {
    return this.subscriptions.channels
  }

  lastActivity = Date.now()
  pingedAt?: number
  closed = false

  /*
   * Each field costs every idle socket a slot: what most sockets never
   * use (a sign-in, client events) is made on first use
   */
  #user?: SignIn
  #clientEvents?: { start: number; count: number }
  #subscribes = 0
  #subscribesAt = 0
  #corked = false

  constructor(
    readonly ws: WebSocket,
    protected settings: SocketSettings,
    /**
     * The client's IP address as the socket sees it
     */
    readonly address = '',
    /**
     * The upgraded TCP socket under "ws": corked while frames gather
     */
    protected transport?: Duplex
  ) {}

  /**
   * Set by "pusher:signin"
   */
  get userId() {
    return this.#user?.id
  }
  set userId(id: string | undefined) {
    ;(this.#user ??= {}).id = id
  }
  get userInfo() {
    return this.#user?.info
  }
  set userInfo(info: unknown) {
    ;(this.#user ??= {}).info = info
  }
  /**
   * Its sign-in in the cluster (online for watchlists) and what it
   * watches; given back when it closes, joined again when the state lost
   * this node
   */
  get signedIn(): SignedIn | undefined {
    return this.#user?.signedIn
  }
  set signedIn(signedIn: SignedIn | undefined) {
    ;(this.#user ??= {}).signedIn = signedIn
  }

  /**
   * Sends a frame already serialized (shared by every recipient of a
   * broadcast). Frames of one event-loop turn (or of the coalescing
   * window) leave together, in order. A slow consumer is closed with 4100 instead of letting its
   * buffer grow (held frames count: they are in the socket's buffer); it
   * reconnects after a back-off.
   */
  send(frame: string | Buffer) {
    if (this.#writable()) this.ws.send(frame, TEXT)
  }

  /**
   * Sends a whole WebSocket frame a broadcast encoded once ("payload" is
   * its content, for a socket without its transport at hand). Written
   * under "ws", which writes synchronously without compression, so the
   * order of frames holds.
   */
  sendWire(wire: Buffer, payload: Buffer) {
    if (!this.#writable()) return
    if (this.transport && this.ws.readyState === this.ws.OPEN) this.transport.write(wire)
    else this.ws.send(payload, TEXT)
  }

  /**
   * Whether a frame may be written now: not closed, and not a slow
   * consumer. Corks the transport for the rest of the turn.
   */
  #writable() {
    if (this.closed) return false
    const { settings } = this
    if (this.#corked && this.transport!.writableLength >= settings.maxHeld) {
      // The kernel takes what a reading client can take; the rest stays counted
      this.transport!.uncork()
      this.transport!.cork()
    }
    if (this.ws.bufferedAmount > settings.maxBufferedBytes) return this.#dropSlowConsumer()
    this.#cork()
    return true
  }

  /**
   * Closes a consumer too slow to read (4100). Out of #writable, which
   * every delivery runs: kept small, the write path inlines into the
   * broadcast loop
   */
  #dropSlowConsumer() {
    this.close(CloseCode.OVER_CAPACITY, 'Slow consumer: send buffer full')
    this.settings.events?.emit('slowConsumerDropped')
    /**
     * The close frame waits behind everything the client has not read:
     * drop the socket if it does not drain soon, so its buffer is freed
     */
    setTimeout(() => this.ws.terminate(), SLOW_CONSUMER_GRACE_MS).unref()
    return false
  }

  /**
   * Holds this socket's writes until its batch is written ("ws" corks and
   * uncorks around each frame; under our cork its uncork does not flush)
   */
  #cork() {
    if (this.#corked || !this.transport) return
    this.transport.cork()
    this.#corked = true
    this.settings.batch.hold(this)
  }

  /**
   * Writes out what the batch gathered
   */
  uncork() {
    if (!this.#corked) return
    this.#corked = false
    this.transport?.uncork()
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
   * Takes one subscribe from a bucket of "burst" that refills at
   * "perSecond": a page subscribing its channels at once fits, a client
   * re-subscribing in a loop does not. False when the bucket is empty.
   */
  takeSubscribe(perSecond: number, burst: number): boolean {
    const now = Date.now()
    const refill = ((now - this.#subscribesAt) / 1000) * perSecond
    // Full at first: the first call refills from the epoch
    this.#subscribes = Math.min(burst, this.#subscribes + refill)
    this.#subscribesAt = now
    if (this.#subscribes < 1) return false
    this.#subscribes--
    return true
  }

  /**
   * Counts one client event; false when over the per-second limit
   */
  takeClientEvent(perSecond: number): boolean {
    const now = Date.now()
    const window = (this.#clientEvents ??= { start: now, count: 0 })
    if (now - window.start >= 1000) {
      window.start = now
      window.count = 0
    }
    window.count++
    return window.count <= perSecond
  }
}
