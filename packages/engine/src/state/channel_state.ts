/**
 * A presence channel member: its user id (always a string) and user_info
 */
export interface PresenceMember {
  id: string
  info: unknown
}

/**
 * What a channel looks like from the HTTP API, for the whole cluster
 */
export interface ChannelStats {
  subscriptionCount: number
  /**
   * Distinct users, presence channels only
   */
  userCount?: number
}

/**
 * The user a socket counts under in a channel, for the limit of sockets
 * per user per channel across the cluster ("maxSocketsPerUserPerChannel"):
 * the presence member's id, or on a private channel the user the socket
 * signed in as
 */
export interface SocketOwner {
  userId: string
  /**
   * Sockets of the user the channel may hold, on every node together; 0
   * or absent: no limit (a node joining its sockets again)
   */
  maxSockets?: number
}

/**
 * The outcome of a join, decided atomically for the whole cluster:
 * "occupied" when the channel had no subscription anywhere before,
 * "memberAdded" when the user had no other socket in the presence channel
 * anywhere (only then do others get member_added), "full" when a new
 * member was refused because the channel holds "maxMembers" users,
 * "tooManySockets" when the socket was refused because its owner already
 * holds "maxSockets" sockets in the channel
 */
export interface JoinResult {
  occupied: boolean
  memberAdded: boolean
  full?: boolean
  tooManySockets?: boolean
  /**
   * The join took back a leave still within its leave-event delay: the
   * pending "channel_vacated" is cancelled, and no "channel_occupied" is due
   */
  vacancyCancelled?: boolean
  /**
   * The same for the user's pending "member_removed" (no "member_added")
   */
  removalCancelled?: boolean
}

/**
 * The outcome of a leave: "vacated" when the last subscription anywhere
 * left, "memberRemoved" the user id when its last socket anywhere left
 */
export interface LeaveResult {
  vacated: boolean
  memberRemoved?: string
  /**
   * With a leave-event delay: the token of this leave's pending vacancy
   * and removal, for confirmLeave once the delay is over
   */
  pending?: string
}

/**
 * Which of a leave's pending events were not taken back by a join
 */
export interface ConfirmedLeave {
  vacated: boolean
  memberRemoved: boolean
}

/**
 * A leave decided for a node that died: the surviving node that reaped it
 * tells the channel (member_removed) on behalf of the dead one
 */
export interface ReapedLeave extends LeaveResult {
  channel: string
}

/**
 * The last event of a cache channel and when it expires (epoch ms)
 */
export interface CachedFrame {
  frame: string
  expiresAt: number
}

/**
 * The cluster's subscriptions, presence members and cache-channel events,
 * as seen by one node. Each node holds its own instance, bound to its node
 * id; every instance of one cluster shares the same store (one process's
 * memory, or Redis). Subscriptions are keyed by node and socket id, so a
 * join is idempotent (a node may re-apply its memberships after Redis lost
 * them) and a node's state can be removed without touching the others'.
 */
export interface ChannelState {
  /**
   * This node's id
   */
  readonly nodeId: string

  /**
   * Adds a socket of this node to a channel; presence channels pass the
   * member and may pass the member limit. With an owner, the socket counts
   * under that user (a presence member always counts under its id, so an
   * owner there must be the member) and is refused past the owner's
   * "maxSockets". Idempotent for the same socket: a join again is never
   * refused.
   */
  join(
    channel: string,
    socketId: string,
    member?: PresenceMember,
    maxMembers?: number,
    owner?: SocketOwner
  ): Promise<JoinResult>

  /**
   * Removes a socket of this node from a channel, with the user id it
   * joined a presence channel as; a no-op when it was not subscribed. The
   * socket no longer counts under its owner.
   * With "leaveDelayMs", a vacancy or member removal it causes stays
   * pending for that long: a join in the meantime takes it back.
   */
  leave(
    channel: string,
    socketId: string,
    userId?: string,
    leaveDelayMs?: number
  ): Promise<LeaveResult>

  /**
   * After the delay: whether the leave's vacancy (and the user's removal)
   * still stand, each confirmed once for the cluster
   */
  confirmLeave(channel: string, token: string, userId?: string): Promise<ConfirmedLeave>

  /**
   * Counts one client event of a user in a channel, on every node
   * together, in the user's one-second window (it starts at the user's
   * first event, as a socket's does): false once the window holds more
   * than "perSecond". Only a user counted with a socket in the channel
   * (a member, or an owner given at join) has a window; for another one
   * nothing is counted (true). Memory answers at once, Redis with a
   * promise (which rejects when Redis does not answer in time). A window
   * is kept no longer than it lasts; memory forgets it with the user's
   * last socket in the channel.
   */
  takeClientEvent(channel: string, userId: string, perSecond: number): boolean | Promise<boolean>

  /**
   * One more socket of this node from a client address, for
   * "maxConnectionsPerIp" on every node together. "count" is this node's
   * sockets from the address with the new one. Admitted (true) when every
   * node's sockets from it stay within "limit", refused (false) otherwise;
   * either way the store then holds this node's count as it stands (the
   * new socket counted only when admitted). Memory answers at once, Redis
   * with a promise (which rejects when Redis does not answer in time).
   */
  openConnection(address: string, count: number, limit: number): boolean | Promise<boolean>

  /**
   * This node holds "count" sockets from a client address now (0 forgets
   * the address): after a close, or to set the count again after a call
   * failed or the store lost it. Redis keeps the count of a call that
   * failed and sends it again after its next heartbeat.
   */
  recordConnections(address: string, count: number): void | Promise<void>

  /**
   * Distinct members of a presence channel: user id to user_info
   */
  members(channel: string): Promise<Map<string, unknown>>

  /**
   * Whether a user has a socket in a presence channel, on any node
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
   * Stores the last event of a cache channel for "ttlMs"
   */
  cacheEvent(channel: string, frame: string, ttlMs: number): Promise<void>

  /**
   * The last event of a cache channel, if still fresh
   */
  cachedEvent(channel: string): Promise<CachedFrame | undefined>

  /**
   * Marks this node alive (called on a timer; a no-op in memory). True
   * when the store had lost this node's registration (Redis restarted
   * empty, or this node was reaped after a stall): the node then joins its
   * local subscriptions again (joins are idempotent).
   */
  heartbeat(): Promise<boolean>

  /**
   * Removes the subscriptions (and the counts of sockets per address) of
   * nodes whose heartbeat expired and says what left, so the caller can
   * tell the channels. Only one node reaps a dead node. Empty in memory.
   */
  reapDeadNodes(leaveDelayMs?: number): Promise<ReapedLeave[]>

  /**
   * Removes this node's subscriptions and counts only (a clean shutdown),
   * never the other nodes' state
   */
  removeNode(): Promise<void>
}
