import type { SocketConnection } from './socket_connection.ts'
import type { CachedEvent } from './event_cache.ts'

/**
 * A presence channel member: its user id (always a string) and user_info
 */
export interface PresenceMember {
  id: string
  info: unknown
}

/**
 * What a channel looks like from the HTTP API
 */
export interface ChannelStats {
  subscriptionCount: number
  /**
   * Distinct users, presence channels only
   */
  userCount?: number
}

/**
 * The outcome of a subscribe: "occupied" when the channel had no socket
 * before, "memberAdded" when the user had no other socket in the presence
 * channel (only then do others get member_added)
 */
export interface SubscribeResult {
  occupied: boolean
  memberAdded: boolean
}

/**
 * The outcome of an unsubscribe: "memberRemoved" holds the user id when
 * its last socket left the presence channel
 */
export interface UnsubscribeResult {
  vacated: boolean
  memberRemoved?: string
}

/**
 * Where channel membership, presence state and user connections live. The
 * in-memory adapter serves one process; a Redis adapter keeps the same
 * state shared between nodes and relays "publish" and "terminateUser" to
 * them. Everything another node may need to answer goes through here.
 */
export interface ServerAdapter {
  /**
   * Adds a socket to a channel; presence channels pass the member
   */
  subscribe(
    channel: string,
    socket: SocketConnection,
    member?: PresenceMember
  ): Promise<SubscribeResult>

  /**
   * Removes a socket from a channel (with the user id it joined a presence
   * channel as); a no-op when it was not subscribed
   */
  unsubscribe(
    channel: string,
    socket: SocketConnection,
    userId?: string
  ): Promise<UnsubscribeResult>

  /**
   * Distinct members of a presence channel: user id to user_info
   */
  members(channel: string): Promise<Map<string, unknown>>

  /**
   * Whether a user has a socket in a presence channel
   */
  hasMember(channel: string, userId: string): Promise<boolean>

  /**
   * Occupied channels with their counts
   */
  channels(): Promise<Map<string, ChannelStats>>

  /**
   * One channel's counts (zero when unoccupied)
   */
  channel(name: string): Promise<ChannelStats>

  /**
   * Delivers one serialized frame to every socket of a channel but the
   * excluded one. Synchronous for local sockets: this is the hot path.
   */
  publish(channel: string, frame: Buffer, exceptSocketId?: string): void

  /**
   * Records the user a socket signed in as
   */
  signIn(socket: SocketConnection, userId: string): void

  /**
   * Forgets a socket entirely (closed connection). Its channels are left
   * by the caller first, so member events go out.
   */
  removeSocket(socket: SocketConnection): void

  /**
   * Runs "action" on every socket signed in as the user (on every node)
   */
  forEachUserSocket(userId: string, action: (socket: SocketConnection) => void): Promise<void>

  /**
   * Stores the last event of a cache channel, with its expiry. The store is
   * bounded (the oldest entries go first) and expired entries are freed
   * without waiting for a subscribe.
   */
  cacheEvent(channel: string, frame: Buffer, ttlMs: number): void

  /**
   * The last event of a cache channel, if still fresh
   */
  cachedEvent(channel: string): Promise<Buffer | undefined>

  /**
   * The last event of a cache channel with its expiry, if still fresh
   * (the HTTP API's "info=cache")
   */
  cacheEntry(channel: string): Promise<CachedEvent | undefined>

  /**
   * Drops all state
   */
  clear(): Promise<void>
}
