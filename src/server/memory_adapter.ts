import type {
  ChannelStats,
  PresenceMember,
  ServerAdapter,
  SubscribeResult,
  UnsubscribeResult,
} from './adapter.ts'
import type { SocketConnection } from './socket_connection.ts'
import { EventCache, type EventCacheLimits } from './event_cache.ts'
import { DEFAULT_LIMITS } from './limits.ts'

/**
 * A presence channel's members: user id to user_info and the ids of that
 * user's sockets in the channel, to de-duplicate a user's tabs
 */
type Presence = Map<string, { info: unknown; sockets: Set<string> }>

/**
 * Channel membership and presence state in this process only
 */
export class MemoryAdapter implements ServerAdapter {
  #channels = new Map<string, Map<string, SocketConnection>>()
  #presence = new Map<string, Presence>()
  #users = new Map<string, Set<SocketConnection>>()

  /**
   * The last event of each cache channel. Public so tests and tools can
   * observe its size.
   */
  readonly eventCache: EventCache

  /**
   * The cache bounds default to "maxCachedChannels" and "maxCachedBytes"
   */
  constructor(cacheLimits: Partial<EventCacheLimits> = {}) {
    this.eventCache = new EventCache({
      maxEntries: cacheLimits.maxEntries ?? DEFAULT_LIMITS.maxCachedChannels,
      maxBytes: cacheLimits.maxBytes ?? DEFAULT_LIMITS.maxCachedBytes,
    })
  }

  async subscribe(
    channel: string,
    socket: SocketConnection,
    member?: PresenceMember
  ): Promise<SubscribeResult> {
    let sockets = this.#channels.get(channel)
    const occupied = !sockets
    if (!sockets) {
      sockets = new Map()
      this.#channels.set(channel, sockets)
    }
    sockets.set(socket.id, socket)

    if (!member) return { occupied, memberAdded: false }
    let presence = this.#presence.get(channel)
    if (!presence) {
      presence = new Map()
      this.#presence.set(channel, presence)
    }
    const existing = presence.get(member.id)
    if (existing) {
      existing.sockets.add(socket.id)
      return { occupied, memberAdded: false }
    }
    presence.set(member.id, { info: member.info, sockets: new Set([socket.id]) })
    return { occupied, memberAdded: true }
  }

  async unsubscribe(
    channel: string,
    socket: SocketConnection,
    userId?: string
  ): Promise<UnsubscribeResult> {
    const sockets = this.#channels.get(channel)
    if (!sockets?.delete(socket.id)) return { vacated: false }
    const vacated = sockets.size === 0
    if (vacated) this.#channels.delete(channel)

    const presence = userId ? this.#presence.get(channel) : undefined
    const entry = userId ? presence?.get(userId) : undefined
    if (!presence || !entry || !userId) return { vacated }
    entry.sockets.delete(socket.id)
    if (entry.sockets.size > 0) return { vacated }
    presence.delete(userId)
    if (presence.size === 0) this.#presence.delete(channel)
    return { vacated, memberRemoved: userId }
  }

  async members(channel: string) {
    const members = new Map<string, unknown>()
    for (const [id, { info }] of this.#presence.get(channel) ?? []) members.set(id, info)
    return members
  }

  async hasMember(channel: string, userId: string) {
    return this.#presence.get(channel)?.has(userId) ?? false
  }

  async channels() {
    const list = new Map<string, ChannelStats>()
    for (const name of this.#channels.keys()) list.set(name, this.#stats(name))
    return list
  }

  async channel(name: string) {
    return this.#stats(name)
  }

  publish(channel: string, frame: Buffer, exceptSocketId?: string) {
    const sockets = this.#channels.get(channel)
    if (!sockets) return
    for (const socket of sockets.values()) {
      if (socket.id !== exceptSocketId) socket.send(frame)
    }
  }

  signIn(socket: SocketConnection, userId: string) {
    let sockets = this.#users.get(userId)
    if (!sockets) {
      sockets = new Set()
      this.#users.set(userId, sockets)
    }
    sockets.add(socket)
  }

  removeSocket(socket: SocketConnection) {
    if (!socket.userId) return
    const sockets = this.#users.get(socket.userId)
    sockets?.delete(socket)
    if (sockets?.size === 0) this.#users.delete(socket.userId)
  }

  async forEachUserSocket(userId: string, action: (socket: SocketConnection) => void) {
    for (const socket of [...(this.#users.get(userId) ?? [])]) action(socket)
  }

  cacheEvent(channel: string, frame: Buffer, ttlMs: number) {
    this.eventCache.set(channel, frame, ttlMs)
  }

  async cachedEvent(channel: string) {
    return this.eventCache.get(channel)?.frame
  }

  async cacheEntry(channel: string) {
    return this.eventCache.get(channel)
  }

  async clear() {
    this.#channels.clear()
    this.#presence.clear()
    this.#users.clear()
    this.eventCache.clear()
  }

  #stats(name: string): ChannelStats {
    const subscriptionCount = this.#channels.get(name)?.size ?? 0
    if (!name.startsWith('presence-')) return { subscriptionCount }
    return { subscriptionCount, userCount: this.#presence.get(name)?.size ?? 0 }
  }
}
