import type {
  ChannelState,
  ConfirmedLeave,
  ChannelStats,
  JoinResult,
  LeaveResult,
  PresenceMember,
  ReapedLeave,
  SocketOwner,
} from './channel_state.ts'
import { EventCache, type EventCacheLimits } from './event_cache.ts'
import { DEFAULT_LIMITS } from '../limits.ts'

/**
 * Fields of a channel's pending leaves
 */
const VACANCY = '~'
const removalOf = (userId: string) => `u${userId}`

/**
 * A presence channel's members: user id to user_info and the subscriptions
 * ("<node>:<socket>") holding it, to de-duplicate a user's tabs and nodes.
 * A member held by none is within its leave-event delay: still listed
 * until the removal is confirmed or the user comes back.
 */
type Presence = Map<string, { info: unknown; holders: Set<string> }>

/**
 * The cluster's state in one process's memory, shared by every MemoryState
 * bound to it (one per node). Plain maps: nothing in it is asynchronous,
 * so each operation is atomic.
 */
export class MemoryStore {
  /**
   * Channel to its subscriptions: "<node>:<socket>" to the presence user id
   */
  readonly channels = new Map<string, Map<string, string | undefined>>()
  readonly presence = new Map<string, Presence>()
  /**
   * Sockets counted under the user they signed in as (not presence: a
   * member's sockets are its holders), by channel: each subscription's
   * user ("<node>:<socket>" to user id), and each user's count
   */
  readonly owners = new Map<
    string,
    { bySocket: Map<string, string>; byUser: Map<string, number> }
  >()
  /**
   * Node to its subscriptions (channel, socket id), so one node's state can
   * be removed alone
   */
  readonly nodes = new Map<string, Map<string, Set<string>>>()
  /**
   * Client-event windows of the users with a socket in a channel, by
   * channel: user id to the window's start (epoch ms) and count
   */
  readonly clientEvents = new Map<string, Map<string, { start: number; count: number }>>()
  /**
   * Open sockets per client address, by node ("maxConnectionsPerIp" on
   * every node together): address to node id to count
   */
  readonly addresses = new Map<string, Map<string, number>>()
  /**
   * Leaves within their leave-event delay, by channel: "~" for the
   * vacancy, "u<userId>" for a member's removal, to the leave's token
   */
  readonly pendingLeaves = new Map<string, Map<string, string>>()
  /**
   * The last event of each cache channel, bounded and swept
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
}

/**
 * One node's view of a MemoryStore. Alone it serves a single process; nodes
 * of one process (tests) share a store.
 */
export class MemoryState implements ChannelState {
  #leaves = 0

  constructor(
    readonly nodeId: string,
    readonly store = new MemoryStore()
  ) {}

  async join(
    channel: string,
    socketId: string,
    member?: PresenceMember,
    maxMembers?: number,
    owner?: SocketOwner
  ): Promise<JoinResult> {
    const { channels, presence: allPresence } = this.store
    const key = this.#key(socketId)
    let subscriptions = channels.get(channel)
    if (subscriptions?.has(key)) return { occupied: false, memberAdded: false }
    // The owner's sockets on every node: at the limit, refused
    const countAs = member?.id ?? owner?.userId
    const maxSockets = owner?.maxSockets ?? 0
    if (countAs !== undefined && maxSockets > 0) {
      if (this.#socketsOf(channel, countAs, member !== undefined) >= maxSockets) {
        return { occupied: false, memberAdded: false, tooManySockets: true }
      }
    }

    let presence = member ? allPresence.get(channel) : undefined
    const listed = member ? presence?.get(member.id) : undefined
    // A held member is listed (and counted) but comes back as a new one
    const existing = listed?.holders.size ? listed : undefined
    // The limit only refuses a new member: another tab of a member fits
    if (member && !listed && maxMembers !== undefined && (presence?.size ?? 0) >= maxMembers) {
      return { occupied: false, memberAdded: false, full: true }
    }

    const occupied = !subscriptions
    if (!subscriptions) {
      subscriptions = new Map()
      channels.set(channel, subscriptions)
    }
    subscriptions.set(key, member?.id)
    this.#ownSockets(channel, true)!.add(socketId)

    const result: JoinResult = { occupied, memberAdded: false }
    if (occupied && this.#takePending(channel, VACANCY)) result.vacancyCancelled = true
    if (!member) {
      if (countAs !== undefined) this.#countOwner(channel, key, countAs)
      return result
    }
    if (existing) {
      existing.holders.add(key)
      return result
    }
    if (!presence) {
      presence = new Map()
      allPresence.set(channel, presence)
    }
    presence.set(member.id, { info: member.info, holders: new Set([key]) })
    result.memberAdded = true
    if (this.#takePending(channel, removalOf(member.id))) result.removalCancelled = true
    return result
  }

  async leave(
    channel: string,
    socketId: string,
    _userId?: string,
    leaveDelayMs = 0
  ): Promise<LeaveResult> {
    return this.#leave(channel, socketId, leaveDelayMs)
  }

  async confirmLeave(channel: string, token: string, userId?: string): Promise<ConfirmedLeave> {
    const vacated = this.#takePending(channel, VACANCY, token)
    const memberRemoved =
      userId !== undefined && this.#takePending(channel, removalOf(userId), token)
    if (memberRemoved) this.#dropMember(channel, userId!)
    return { vacated, memberRemoved }
  }

  /**
   * At once: the store is this process's. Only a user with a socket in
   * the channel gets a window, so the windows never outgrow the sockets.
   */
  takeClientEvent(channel: string, userId: string, perSecond: number): boolean {
    if (this.#socketsOf(channel, userId, channel.startsWith('presence-')) === 0) return true
    let windows = this.store.clientEvents.get(channel)
    if (!windows) {
      windows = new Map()
      this.store.clientEvents.set(channel, windows)
    }
    const now = Date.now()
    let window = windows.get(userId)
    if (!window || now - window.start >= 1000) {
      window = { start: now, count: 0 }
      windows.set(userId, window)
    }
    window.count++
    return window.count <= perSecond
  }

  openConnection(address: string, count: number, limit: number): boolean {
    let others = 0
    for (const [nodeId, held] of this.store.addresses.get(address) ?? []) {
      if (nodeId !== this.nodeId) others += held
    }
    const admitted = others + count <= limit
    this.recordConnections(address, admitted ? count : count - 1)
    return admitted
  }

  recordConnections(address: string, count: number) {
    const { addresses } = this.store
    let nodes = addresses.get(address)
    if (count > 0) {
      if (!nodes) {
        nodes = new Map()
        addresses.set(address, nodes)
      }
      nodes.set(this.nodeId, count)
    } else if (nodes?.delete(this.nodeId) && nodes.size === 0) {
      addresses.delete(address)
    }
  }

  async members(channel: string) {
    const members = new Map<string, unknown>()
    for (const [id, { info }] of this.store.presence.get(channel) ?? []) members.set(id, info)
    return members
  }

  async hasMember(channel: string, userId: string) {
    return this.store.presence.get(channel)?.has(userId) ?? false
  }

  async channels() {
    const list = new Map<string, ChannelStats>()
    for (const name of this.store.channels.keys()) list.set(name, this.#stats(name))
    return list
  }

  async channel(name: string) {
    return this.#stats(name)
  }

  async cacheEvent(channel: string, frame: string, ttlMs: number) {
    this.store.eventCache.set(channel, frame, ttlMs)
  }

  async cachedEvent(channel: string) {
    return this.store.eventCache.get(channel)
  }

  /**
   * Nodes of one process live and die together: nothing to mark
   */
  async heartbeat() {
    return false
  }

  async reapDeadNodes(_leaveDelayMs?: number): Promise<ReapedLeave[]> {
    return []
  }

  async removeNode() {
    for (const address of [...this.store.addresses.keys()]) this.recordConnections(address, 0)
    const own = this.store.nodes.get(this.nodeId)
    if (!own) return
    for (const [channel, sockets] of [...own]) {
      for (const socketId of [...sockets]) this.#leave(channel, socketId)
    }
    this.store.nodes.delete(this.nodeId)
  }

  /**
   * The user id is the one recorded at join: a subscription cannot leave
   * as someone else
   */
  #leave(channel: string, socketId: string, leaveDelayMs = 0): LeaveResult {
    const { channels, presence: allPresence } = this.store
    const key = this.#key(socketId)
    const subscriptions = channels.get(channel)
    if (!subscriptions?.has(key)) return { vacated: false }
    const userId = subscriptions.get(key)
    subscriptions.delete(key)
    const vacated = subscriptions.size === 0
    if (vacated) channels.delete(channel)
    this.#forgetOwn(channel, socketId)
    const owner = this.#uncountOwner(channel, key)

    const result: LeaveResult = { vacated }
    const presence = userId === undefined ? undefined : allPresence.get(channel)
    const entry = userId === undefined ? undefined : presence?.get(userId)
    if (presence && entry && userId !== undefined) {
      entry.holders.delete(key)
      if (entry.holders.size === 0) result.memberRemoved = userId
    }
    // The user's last socket in the channel: its client-event window goes
    const counted = userId ?? owner
    if (counted !== undefined && this.#socketsOf(channel, counted, userId !== undefined) === 0) {
      this.#forgetWindow(channel, counted)
    }
    if (leaveDelayMs > 0 && (vacated || result.memberRemoved !== undefined)) {
      result.pending = this.#markPending(channel, vacated, result.memberRemoved)
    } else if (result.memberRemoved !== undefined) {
      this.#dropMember(channel, result.memberRemoved)
    }
    return result
  }

  /**
   * Takes a member no subscription holds off the list
   */
  #dropMember(channel: string, userId: string) {
    const presence = this.store.presence.get(channel)
    if (presence?.get(userId)?.holders.size !== 0) return
    presence.delete(userId)
    if (presence.size === 0) this.store.presence.delete(channel)
  }

  /**
   * Records a leave's vacancy and removal as pending under a new token
   */
  #markPending(channel: string, vacated: boolean, userId?: string) {
    const token = `${this.nodeId}:${++this.#leaves}`
    let pending = this.store.pendingLeaves.get(channel)
    if (!pending) {
      pending = new Map()
      this.store.pendingLeaves.set(channel, pending)
    }
    if (vacated) pending.set(VACANCY, token)
    if (userId !== undefined) pending.set(removalOf(userId), token)
    return token
  }

  /**
   * Removes a pending vacancy or removal (only the given token's, when
   * one is given); true when there was one
   */
  #takePending(channel: string, field: string, token?: string) {
    const pending = this.store.pendingLeaves.get(channel)
    const stored = pending?.get(field)
    if (stored === undefined || (token !== undefined && stored !== token)) return false
    pending!.delete(field)
    if (pending!.size === 0) this.store.pendingLeaves.delete(channel)
    return true
  }

  /**
   * The sockets a user holds in a channel on every node: a presence
   * member's holders, or those counted under the user
   */
  #socketsOf(channel: string, userId: string, presence: boolean) {
    if (presence) return this.store.presence.get(channel)?.get(userId)?.holders.size ?? 0
    return this.store.owners.get(channel)?.byUser.get(userId) ?? 0
  }

  #countOwner(channel: string, key: string, userId: string) {
    let owners = this.store.owners.get(channel)
    if (!owners) {
      owners = { bySocket: new Map(), byUser: new Map() }
      this.store.owners.set(channel, owners)
    }
    owners.bySocket.set(key, userId)
    owners.byUser.set(userId, (owners.byUser.get(userId) ?? 0) + 1)
  }

  /**
   * The user the socket counted under, if any
   */
  #uncountOwner(channel: string, key: string) {
    const owners = this.store.owners.get(channel)
    const userId = owners?.bySocket.get(key)
    if (!owners || userId === undefined) return undefined
    owners.bySocket.delete(key)
    const left = (owners.byUser.get(userId) ?? 1) - 1
    if (left > 0) owners.byUser.set(userId, left)
    else owners.byUser.delete(userId)
    if (owners.bySocket.size === 0) this.store.owners.delete(channel)
    return userId
  }

  #forgetWindow(channel: string, userId: string) {
    const windows = this.store.clientEvents.get(channel)
    if (!windows?.delete(userId)) return
    if (windows.size === 0) this.store.clientEvents.delete(channel)
  }

  #key(socketId: string) {
    return `${this.nodeId}:${socketId}`
  }

  /**
   * This node's sockets in a channel, created on demand
   */
  #ownSockets(channel: string, create: boolean) {
    let own = this.store.nodes.get(this.nodeId)
    if (!own) {
      if (!create) return undefined
      own = new Map()
      this.store.nodes.set(this.nodeId, own)
    }
    let sockets = own.get(channel)
    if (!sockets && create) {
      sockets = new Set()
      own.set(channel, sockets)
    }
    return sockets
  }

  #forgetOwn(channel: string, socketId: string) {
    const own = this.store.nodes.get(this.nodeId)
    const sockets = own?.get(channel)
    if (!own || !sockets) return
    sockets.delete(socketId)
    if (sockets.size === 0) own.delete(channel)
  }

  #stats(name: string): ChannelStats {
    const subscriptionCount = this.store.channels.get(name)?.size ?? 0
    if (!name.startsWith('presence-')) return { subscriptionCount }
    return { subscriptionCount, userCount: this.store.presence.get(name)?.size ?? 0 }
  }
}
