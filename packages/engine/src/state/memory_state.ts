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
import { MemoryStore } from './memory_store.ts'

/**
 * Fields of a channel's pending leaves
 */
const VACANCY = '~'
const removalOf = (userId: string) => `u${userId}`

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
      if (this.store.socketsOf(channel, countAs, member !== undefined) >= maxSockets) {
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
      if (countAs !== undefined) this.store.countOwner(channel, key, countAs)
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
   * At once: the store is this process's
   */
  takeClientEvent(channel: string, userId: string, perSecond: number): boolean {
    return this.store.takeClientEvent(channel, userId, perSecond)
  }

  openConnection(address: string, count: number, limit: number): boolean {
    return this.store.openConnection(this.nodeId, address, count, limit)
  }

  recordConnections(address: string, count: number) {
    this.store.recordConnections(this.nodeId, address, count)
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
    const owner = this.store.uncountOwner(channel, key)

    const result: LeaveResult = { vacated }
    const presence = userId === undefined ? undefined : allPresence.get(channel)
    const entry = userId === undefined ? undefined : presence?.get(userId)
    if (presence && entry && userId !== undefined) {
      entry.holders.delete(key)
      if (entry.holders.size === 0) result.memberRemoved = userId
    }
    // The user's last socket in the channel: its client-event window goes
    const counted = userId ?? owner
    if (
      counted !== undefined &&
      this.store.socketsOf(channel, counted, userId !== undefined) === 0
    ) {
      this.store.forgetWindow(channel, counted)
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
