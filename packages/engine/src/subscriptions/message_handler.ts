import type { RawData } from 'ws'
import type { ServerLimits } from '../limits.ts'
import type { ChannelRegistry, RegistryHost } from './channel_registry.ts'
import type { SocketConnection } from '../connection/socket_connection.ts'
import { channelType } from '../channel_name.ts'
import { MAX_EVENT_NAME_LENGTH } from '../protocol.ts'
import type { UserChannelLimits } from './user_channel_limits.ts'
import { ClientEventQueue } from './client_event_queue.ts'
import { verifyAuth } from '../signatures.ts'
import { CloseCode, encodeFrame, ErrorCode, frameData, parseFrame } from '../protocol.ts'
import type { ServerEvents } from '../server_events.ts'
import { Refusal } from '../refusal.ts'
import { SignIns } from '../watchlist/sign_ins.ts'
import type { SignInHost } from '../watchlist/signed_in_user.ts'

/**
 * Decides whether client events ("client-*") may be sent on a channel,
 * usually the matching policy's "clientEvents" flag
 */
export type ClientEventsAllowed = (channel: string) => boolean

/**
 * Dispatches inbound frames. Bad input never closes the socket: it gets a
 * non-fatal "pusher:error" and the frame is dropped.
 */
export class MessageHandler {
  #clientEvents: ClientEventQueue
  #report: (error: unknown, where: string) => void
  /**
   * What follows a sign-in: online for its user, its watchlist watched
   */
  #signIns?: SignIns

  constructor(
    protected host: RegistryHost,
    protected limits: ServerLimits,
    protected registry: ChannelRegistry,
    protected clientEventsAllowed: ClientEventsAllowed,
    protected userLimits: UserChannelLimits,
    protected events: ServerEvents,
    report: (error: unknown, where: string) => void = () => {}
  ) {
    this.#clientEvents = new ClientEventQueue(report)
    this.#report = report
  }

  /**
   * Sign-ins count as online and watch their watchlists from now on, told
   * through the server's frame router
   */
  watchThrough(frames: SignInHost['frames']) {
    const host = { server: this.host, frames, report: this.#report }
    this.#signIns = new SignIns(host, this.limits)
  }

  async handle(socket: SocketConnection, raw: RawData) {
    socket.lastActivity = Date.now()
    socket.pingedAt = undefined

    const size = Array.isArray(raw)
      ? raw.reduce((total, chunk) => total + chunk.length, 0)
      : raw.byteLength
    this.events.emit('received', size)
    if (size > this.limits.maxMessageBytes) {
      socket.error(
        null,
        `Message too large: ${size} bytes, the limit is ${this.limits.maxMessageBytes}`
      )
      return
    }

    const text = Array.isArray(raw)
      ? Buffer.concat(raw).toString('utf8')
      : Buffer.from(raw as ArrayBuffer).toString('utf8')
    const frame = parseFrame(text)
    if (!frame) {
      socket.error(null, 'Invalid message: expected a JSON object with a string "event"')
      return
    }

    switch (frame.event) {
      case 'pusher:ping':
        socket.send(encodeFrame('pusher:pong', '{}'))
        return
      case 'pusher:pong':
        return
      case 'pusher:subscribe': {
        const data = frameData(frame.data)
        if (!data) return socket.error(null, 'Invalid subscription: "data" must be an object')
        return this.registry.subscribe(socket, data)
      }
      case 'pusher:unsubscribe': {
        const data = frameData(frame.data)
        if (typeof data?.channel !== 'string') return
        return this.registry.unsubscribe(socket, data.channel)
      }
      case 'pusher:signin':
        return this.#signIn(socket, frameData(frame.data))
    }

    if (frame.event.startsWith('client-')) {
      return this.#clientEvent(socket, frame.event, frame.channel, frame.data)
    }
    socket.error(null, `Unsupported event "${frame.event.slice(0, 100)}"`)
  }

  /**
   * Relays a client event to the channel's other sockets, with the
   * sender's user id on presence channels
   */
  #clientEvent(
    socket: SocketConnection,
    event: string,
    channel: string | undefined,
    data: unknown
  ) {
    // The HTTP API refuses such names, so a client event may not carry one either
    if (event.length > MAX_EVENT_NAME_LENGTH) {
      socket.error(
        null,
        `Client event rejected: its name is ${event.length} characters, the limit is ${MAX_EVENT_NAME_LENGTH}`
      )
      this.events.emit('clientEvent', 'refused')
      return
    }
    if (!channel || !socket.subscriptions.subscribed(channel)) {
      socket.error(null, `Client event rejected: not subscribed to "${channel ?? ''}"`)
      this.events.emit('clientEvent', 'refused')
      return
    }
    const kind = channelType(channel)
    if (kind !== 'private' && kind !== 'presence') {
      // As on Pusher: pusher-js never sends them there, and the server cannot tell them from plaintext
      socket.error(
        null,
        kind === 'encrypted'
          ? 'Client events are not supported on encrypted channels'
          : 'Client events are only allowed on private and presence channels'
      )
      this.events.emit('clientEvent', 'refused')
      return
    }
    if (!this.clientEventsAllowed(channel)) {
      socket.error(null, `Client events are not enabled on "${channel}"`)
      this.events.emit('clientEvent', 'refused')
      return
    }
    if (!socket.takeClientEvent(this.limits.clientEventsPerSecond)) {
      socket.error(
        ErrorCode.CLIENT_EVENT_RATE_LIMIT,
        `Client event rejected: over ${this.limits.clientEventsPerSecond} per second`
      )
      this.events.emit('clientEvent', 'rate_limited')
      return
    }
    // The user's events on this node alone over the limit: no need to ask the cluster
    const subscription = socket.subscriptions.subscribed(channel)
    const user = subscription?.countedAs
    const perUser = this.limits.clientEventsPerUserPerSecond
    if (user !== undefined && !this.userLimits.takeClientEvent(channel, user)) {
      return this.#overUserLimit(socket, channel)
    }

    const userId = kind === 'presence' ? subscription?.member?.id : undefined
    const payload = typeof data === 'string' ? data : JSON.stringify(data ?? {})
    this.#clientEvents.run(
      socket,
      () =>
        user === undefined || perUser <= 0
          ? true
          : this.host.state.takeClientEvent(channel, user, perUser),
      (allowed) => {
        if (!allowed) return this.#overUserLimit(socket, channel)
        this.host.relay(channel, encodeFrame(event, payload, channel, userId), socket.id)
        this.events.emit('clientEvent', 'relayed')
        this.host.lifecycle.clientEvent({
          channel,
          event,
          data: payload,
          socket_id: socket.id,
          ...(userId === undefined ? {} : { user_id: userId }),
        })
      }
    )
  }

  /**
   * The user's client events in the channel, on this node or on every
   * node together, are over "clientEventsPerUserPerSecond"
   */
  #overUserLimit(socket: SocketConnection, channel: string) {
    socket.error(
      ErrorCode.CLIENT_EVENT_RATE_LIMIT,
      `Client event rejected: over ${this.limits.clientEventsPerUserPerSecond} per second for this user on "${channel}"`
    )
    this.events.emit('clientEvent', 'rate_limited')
  }

  /**
   * "pusher:signin": the HMAC over "<socket_id>::user::<user_data>", then a
   * user id that cannot change for the life of the connection. A forged
   * sign-in closes the socket with 4009, as soketi does.
   */
  async #signIn(socket: SocketConnection, data: Record<string, unknown> | null) {
    const userData = data?.user_data
    if (typeof userData !== 'string' || typeof data?.auth !== 'string') {
      socket.error(null, 'Invalid sign-in: "auth" and "user_data" must be strings')
      return
    }
    const signed = `${socket.id}::user::${userData}`
    if (!verifyAuth(data.auth, this.host.key, this.host.secret, signed)) {
      socket.close(CloseCode.UNAUTHORIZED, 'Invalid sign-in signature')
      return
    }
    let user: Record<string, unknown>
    try {
      user = JSON.parse(userData)
    } catch {
      socket.error(null, 'Invalid sign-in: user_data is not valid JSON')
      return
    }
    const id = user?.id
    if (typeof id !== 'string' || id.length === 0 || id.length > this.limits.maxUserIdLength) {
      socket.error(null, 'Invalid sign-in: user_data.id must be a non-empty string')
      return
    }
    if (socket.userId && socket.userId !== id) {
      socket.error(null, 'Invalid sign-in: this connection is signed in as another user')
      return
    }
    socket.userId = id
    socket.userInfo = user.user_info
    // Not "signed in" before what the other nodes send the user reaches it
    const receiving = this.host.local.signIn(socket, id)
    if (receiving) {
      try {
        await receiving
      } catch (error) {
        if (!(error instanceof Refusal)) throw error
        // Still signed in here: a sign-in again retries
        return socket.error(null, `Sign-in failed: ${error.message}`)
      }
      if (socket.closed) return
    }
    socket.send(encodeFrame('pusher:signin_success', JSON.stringify({ user_data: userData })))
    await this.#signIns?.signedIn(socket, id, user)
  }
}
