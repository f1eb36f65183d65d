import type { SocketConnection } from './socket_connection.ts'
import type { ChannelInterest } from '../bus/channel_interest.ts'
import { USER_CHANNEL_PREFIX } from '../channel_name.ts'
import { textFrame } from './wire_frame.ts'
import { Watchers } from './watchers.ts'

/**
 * This node's live sockets, indexed by channel and by signed-in user. It
 * never leaves the process: the shared view of the cluster is the
 * ChannelState, and other nodes reach these sockets through the bus.
 */
export class LocalSockets {
  #channels = new Map<string, Map<string, SocketConnection>>()
  #users = new Map<string, Set<SocketConnection>>()
  /**
   * Sockets by the users they watch (watchlists)
   */
  readonly watchers = new Watchers(this)

  /**
   * The bus of the cluster this node joined, told of a channel's first and
   * last local socket and of a user's first and last signed-in one (its
   * "#server-to-user-" channel): the other nodes' messages of those
   * channels come here, no others
   */
  interest?: ChannelInterest

  /**
   * Adds a socket to a channel (idempotent). Undefined when the other
   * nodes' frames of the channel reach this node; else resolves once they
   * do (rejects when the bus cannot subscribe it).
   */
  add(channel: string, socket: SocketConnection): Promise<void> | undefined {
    let sockets = this.#channels.get(channel)
    if (!sockets) {
      sockets = new Map()
      this.#channels.set(channel, sockets)
      this.interest?.hold(channel)
    }
    sockets.set(socket.id, socket)
    return this.interest?.ready(channel)
  }

  /**
   * Removes a socket from a channel; a no-op when it was not there
   */
  remove(channel: string, socket: SocketConnection) {
    const sockets = this.#channels.get(channel)
    if (!sockets?.delete(socket.id)) return
    if (sockets.size === 0) {
      this.#channels.delete(channel)
      this.interest?.release(channel)
    }
  }

  /**
   * Sends one serialized frame to every local socket of a channel but the
   * excluded one. The hot path: synchronous, and the same bytes, WebSocket
   * header included, go to every socket.
   */
  publish(channel: string, frame: string | Buffer, exceptSocketId?: string) {
    const sockets = this.#channels.get(channel)
    if (!sockets) return
    const payload = typeof frame === 'string' ? Buffer.from(frame) : frame
    const wire = textFrame(payload)
    for (const socket of sockets.values()) {
      if (socket.id !== exceptSocketId) socket.sendWire(wire, payload)
    }
  }

  /**
   * Local sockets of a channel
   */
  count(channel: string) {
    return this.#channels.get(channel)?.size ?? 0
  }

  /**
   * Local sockets a frame of the channel reaches: all of them but the
   * excluded one, when it is here
   */
  recipients(channel: string, exceptSocketId?: string) {
    const sockets = this.#channels.get(channel)
    if (!sockets) return 0
    return exceptSocketId !== undefined && sockets.has(exceptSocketId)
      ? sockets.size - 1
      : sockets.size
  }

  /**
   * Records the user a socket signed in as. Undefined when what the other
   * nodes send the user (terminate_connections) reaches this node; else
   * resolves once it does.
   */
  signIn(socket: SocketConnection, userId: string): Promise<void> | undefined {
    const channel = `${USER_CHANNEL_PREFIX}${userId}`
    let sockets = this.#users.get(userId)
    if (!sockets) {
      sockets = new Set()
      this.#users.set(userId, sockets)
      this.interest?.hold(channel)
    }
    sockets.add(socket)
    return this.interest?.ready(channel)
  }

  /**
   * Runs "action" on every local socket signed in as the user. A copy is
   * walked: the action may close the socket, which removes it.
   */
  forUser(userId: string, action: (socket: SocketConnection) => void) {
    const sockets = this.#users.get(userId)
    if (!sockets) return
    for (const socket of [...sockets]) action(socket)
  }

  /**
   * Forgets a closed socket: its sign-in and any channel still listed
   */
  removeSocket(socket: SocketConnection) {
    for (const channel of socket.channels.keys()) this.remove(channel, socket)
    if (!socket.userId) return
    const sockets = this.#users.get(socket.userId)
    if (!sockets?.delete(socket) || sockets.size > 0) return
    this.#users.delete(socket.userId)
    this.interest?.release(`${USER_CHANNEL_PREFIX}${socket.userId}`)
  }

  clear() {
    this.#channels.clear()
    this.#users.clear()
  }
}
