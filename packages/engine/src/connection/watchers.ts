import type { SocketConnection } from './socket_connection.ts'
import type { ChannelInterest } from '../bus/channel_interest.ts'
import { ONLINE_CHANNEL_PREFIX } from '../channel_name.ts'
import { encodeFrame } from '../protocol.ts'

export type UserStatus = 'online' | 'offline'

export function onlineChannel(userId: string) {
  return `${ONLINE_CHANNEL_PREFIX}${userId}`
}

/**
 * This node's sockets by the users they watch (the "watchlist" of their
 * sign-in), and what each is still to be told. Changes of one event-loop
 * turn reach a socket in one "pusher_internal:watchlist_events" frame,
 * the last change of a user winning.
 */
export class Watchers {
  #byUser = new Map<string, Set<SocketConnection>>()
  #pending = new Map<SocketConnection, Map<string, UserStatus>>()
  /** Sockets whose first frame (the state at sign-in) is not sent yet */
  #starting = new Set<SocketConnection>()
  #flushing?: NodeJS.Immediate

  constructor(protected local: { readonly interest?: ChannelInterest }) {}

  /**
   * Watched users, for a test or a console
   */
  get size() {
    return this.#byUser.size
  }

  /**
   * The socket watches the users from now on; changes wait for start().
   * Resolves once the other nodes' changes of every user reach this node.
   */
  async watch(socket: SocketConnection, userIds: string[]) {
    this.#starting.add(socket)
    const ready: Promise<void>[] = []
    for (const userId of userIds) {
      let sockets = this.#byUser.get(userId)
      if (!sockets) {
        sockets = new Set()
        this.#byUser.set(userId, sockets)
        this.local.interest?.hold(onlineChannel(userId))
      }
      sockets.add(socket)
      const receiving = this.local.interest?.ready(onlineChannel(userId))
      if (receiving) ready.push(receiving)
    }
    await Promise.all(ready)
  }

  /**
   * Sends the state at sign-in, with any change that arrived meanwhile
   * over it (those were decided later), then the changes as they come
   */
  start(socket: SocketConnection, online: Map<string, boolean>) {
    if (!this.#starting.delete(socket)) return
    const changes = this.#pending.get(socket) ?? new Map<string, UserStatus>()
    for (const [userId, isOnline] of online) {
      if (!changes.has(userId)) changes.set(userId, isOnline ? 'online' : 'offline')
    }
    this.#pending.delete(socket)
    this.#send(socket, changes)
  }

  /**
   * The socket watches nobody any more (it closed or signed in again)
   */
  unwatch(socket: SocketConnection, userIds: Iterable<string>) {
    this.#starting.delete(socket)
    this.#pending.delete(socket)
    for (const userId of userIds) {
      const sockets = this.#byUser.get(userId)
      if (!sockets?.delete(socket) || sockets.size > 0) continue
      this.#byUser.delete(userId)
      this.local.interest?.release(onlineChannel(userId))
    }
  }

  /**
   * A user went online or offline (told once for the cluster)
   */
  changed(userId: string, status: UserStatus) {
    const sockets = this.#byUser.get(userId)
    if (!sockets) return
    for (const socket of sockets) {
      let changes = this.#pending.get(socket)
      if (!changes) {
        changes = new Map()
        this.#pending.set(socket, changes)
      }
      changes.set(userId, status)
    }
    this.#flushing ??= setImmediate(() => this.#flush())
  }

  /**
   * What the bus brought for "#online-<id>": the change's name is the frame
   */
  received(channel: string, frame: string) {
    if (frame !== 'online' && frame !== 'offline') return
    this.changed(channel.slice(ONLINE_CHANNEL_PREFIX.length), frame)
  }

  #flush() {
    this.#flushing = undefined
    for (const [socket, changes] of this.#pending) {
      if (this.#starting.has(socket)) continue
      this.#pending.delete(socket)
      this.#send(socket, changes)
    }
  }

  #send(socket: SocketConnection, changes: Map<string, UserStatus>) {
    if (socket.closed || changes.size === 0) return
    const online: string[] = []
    const offline: string[] = []
    for (const [userId, status] of changes) (status === 'online' ? online : offline).push(userId)
    const events = []
    if (online.length > 0) events.push({ name: 'online', user_ids: online })
    if (offline.length > 0) events.push({ name: 'offline', user_ids: offline })
    socket.send(encodeFrame('pusher_internal:watchlist_events', JSON.stringify({ events })))
  }
}
