import type { Redis } from 'ioredis'
import type {
  CachedFrame,
  ChannelState,
  ChannelStats,
  ConfirmedLeave,
  JoinResult,
  LeaveResult,
  PresenceMember,
  ReapedLeave,
} from './channel_state.ts'
import {
  CONFIRM_LEAVE_SCRIPT,
  JOIN_SCRIPT,
  LEAVE_SCRIPT,
  MEMBERS_SCRIPT,
  PRUNE_SCRIPT,
} from './redis_scripts.ts'

export interface RedisStateOptions {
  nodeId: string
  /**
   * Put before every key, so several apps can share one Redis.
   * Default "broadcast:"
   */
  prefix?: string
  /**
   * How long a node counts as alive after its last heartbeat (ms).
   * Default 10 000: with a heartbeat every 3 s, a dead node is reaped
   * within 15 s
   */
  nodeTimeout?: number
}

type JoinReply = [number, number, number, number, number]
type LeaveReply = [number, number, number, string, number]

/**
 * sockets, members, users and left keys of a channel
 */
type ChannelKeys = [string, string, string, string]

/**
 * A channel's keys with the two indexes a join or a leave keeps:
 * memberships of the socket's node, and occupied channels
 */
type MembershipKeys = [...ChannelKeys, string, string]

/**
 * The scripts, loaded once per connection (ioredis runs EVALSHA and falls
 * back to EVAL when Redis lost its script cache, as after a restart)
 */
interface ScriptedRedis extends Redis {
  broadcastJoin(...args: [...MembershipKeys, ...(string | number)[]]): Promise<JoinReply>
  broadcastLeave(
    ...args: [...MembershipKeys, string, string, number, string, string]
  ): Promise<LeaveReply>
  broadcastConfirmLeave(
    ...args: [string, string, string, string, string]
  ): Promise<[number, number]>
  broadcastMembers(...args: [string, string, string]): Promise<string[]>
  broadcastPrune(...args: [string, string, string]): Promise<number>
}

function withScripts(redis: Redis): ScriptedRedis {
  if (!('broadcastJoin' in redis)) {
    redis.defineCommand('broadcastJoin', { numberOfKeys: 6, lua: JOIN_SCRIPT })
    redis.defineCommand('broadcastLeave', { numberOfKeys: 6, lua: LEAVE_SCRIPT })
    redis.defineCommand('broadcastConfirmLeave', { numberOfKeys: 3, lua: CONFIRM_LEAVE_SCRIPT })
    redis.defineCommand('broadcastMembers', { numberOfKeys: 3, lua: MEMBERS_SCRIPT })
    redis.defineCommand('broadcastPrune', { numberOfKeys: 2, lua: PRUNE_SCRIPT })
  }
  return redis as ScriptedRedis
}

/**
 * Channel state in Redis, shared by every node of the cluster. The keys of
 * one channel share the hash tag "{channel}"; each node keeps an index of
 * its memberships ("channel\nsocketId") so it, or a survivor reaping it,
 * can remove exactly its subscriptions.
 *
 * The client is not owned: it should fail fast when Redis is unreachable
 * (enableOfflineQueue: false), see createRedisAdapter.
 */
export class RedisState implements ChannelState {
  readonly nodeId: string
  readonly prefix: string
  readonly nodeTimeout: number

  #redis: ScriptedRedis
  #registered = false
  #leaves = 0
  #connecting?: Promise<void>

  constructor(redis: Redis, options: RedisStateOptions) {
    this.nodeId = options.nodeId
    this.prefix = options.prefix ?? 'broadcast:'
    this.nodeTimeout = options.nodeTimeout ?? 10_000
    this.#redis = withScripts(redis)
    // A lazy client (no offline queue) connects once, before the first call
    if (redis.status === 'wait') {
      const connecting = redis.connect().finally(() => (this.#connecting = undefined))
      connecting.catch(() => {})
      this.#connecting = connecting
    }
  }

  /*
   * Key layout
   */
  #channelKeys(channel: string): ChannelKeys {
    const base = `${this.prefix}{${channel}}`
    return [`${base}:sockets`, `${base}:members`, `${base}:users`, `${base}:left`]
  }
  #membershipKeys(channel: string, nodeId: string): MembershipKeys {
    return [...this.#channelKeys(channel), this.#membershipsKey(nodeId), this.#channelsKey]
  }
  #cacheKey(channel: string) {
    return `${this.prefix}{${channel}}:cache`
  }
  get #channelsKey() {
    return `${this.prefix}channels`
  }
  get #nodesKey() {
    return `${this.prefix}nodes`
  }
  #aliveKey(nodeId: string) {
    return `${this.prefix}node:{${nodeId}}`
  }
  #membershipsKey(nodeId: string) {
    return `${this.prefix}node:{${nodeId}}:memberships`
  }
  #reaperKey(nodeId: string) {
    return `${this.prefix}node:{${nodeId}}:reaper`
  }

  /**
   * Names Redis in what the caller reports
   */
  async #run<T>(operation: string, work: () => Promise<T>): Promise<T> {
    try {
      if (this.#connecting) await this.#connecting
      return await work()
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      throw new Error(`Redis channel state: ${operation} failed: ${reason}`, { cause: error })
    }
  }

  join(
    channel: string,
    socketId: string,
    member?: PresenceMember,
    maxMembers?: number
  ): Promise<JoinResult> {
    return this.#run('join', async () => {
      // One script with its index entries: a leave is never in between
      const [occupied, memberAdded, full, reoccupied, returned] = await this.#redis.broadcastJoin(
        ...this.#membershipKeys(channel, this.nodeId),
        `${this.nodeId}:${socketId}`,
        member ? '1' : '0',
        member?.id ?? '',
        member ? JSON.stringify(member.info ?? null) : '',
        maxMembers ?? 0,
        `${channel}\n${socketId}`,
        channel
      )
      if (full) return { occupied: false, memberAdded: false, full: true }
      const result: JoinResult = { occupied: occupied === 1, memberAdded: memberAdded === 1 }
      if (reoccupied) result.vacancyCancelled = true
      if (returned) result.removalCancelled = true
      return result
    })
  }

  /**
   * The user id is the one stored at join; the argument is not needed
   */
  leave(
    channel: string,
    socketId: string,
    _userId?: string,
    leaveDelayMs = 0
  ): Promise<LeaveResult> {
    return this.#run('leave', async () => {
      const left = await this.#leave(this.nodeId, channel, socketId, leaveDelayMs)
      if (!left) return { vacated: false }
      const result: LeaveResult = { vacated: left.vacated }
      if (left.memberRemoved !== undefined) result.memberRemoved = left.memberRemoved
      if (left.pending !== undefined) result.pending = left.pending
      return result
    })
  }

  confirmLeave(channel: string, token: string, userId?: string): Promise<ConfirmedLeave> {
    return this.#run('confirmLeave', async () => {
      const [, members, users, left] = this.#channelKeys(channel)
      const [vacated, memberRemoved] = await this.#redis.broadcastConfirmLeave(
        left,
        members,
        users,
        token,
        userId ?? ''
      )
      return { vacated: vacated === 1, memberRemoved: memberRemoved === 1 }
    })
  }

  /**
   * One membership of a node through the leave script; undefined when it
   * was not there
   */
  async #leave(nodeId: string, channel: string, socketId: string, leaveDelayMs: number) {
    const token = `${this.nodeId}:${++this.#leaves}`
    const [removed, vacated, memberRemoved, userId, pending] = await this.#redis.broadcastLeave(
      ...this.#membershipKeys(channel, nodeId),
      `${nodeId}:${socketId}`,
      token,
      Math.max(0, Math.ceil(leaveDelayMs)),
      `${channel}\n${socketId}`,
      channel
    )
    if (!removed) return undefined
    const left: ReapedLeave = { channel, vacated: vacated === 1 }
    if (memberRemoved) left.memberRemoved = userId
    if (pending) left.pending = token
    return left
  }

  /**
   * Every membership of a node, each through the leave script
   */
  async #leaveAll(nodeId: string, leaveDelayMs = 0): Promise<ReapedLeave[]> {
    const entries = await this.#redis.smembers(this.#membershipsKey(nodeId))
    const leaves: ReapedLeave[] = []
    for (const entry of entries) {
      const split = entry.indexOf('\n')
      const left = await this.#leave(
        nodeId,
        entry.slice(0, split),
        entry.slice(split + 1),
        leaveDelayMs
      )
      if (left) leaves.push(left)
    }
    return leaves
  }

  #prune(channel: string) {
    return this.#redis.broadcastPrune(this.#channelsKey, this.#channelKeys(channel)[0], channel)
  }

  members(channel: string): Promise<Map<string, unknown>> {
    return this.#run('members', async () => {
      const [, members, users, left] = this.#channelKeys(channel)
      const stored = await this.#redis.broadcastMembers(members, users, left)
      const listed = new Map<string, unknown>()
      for (let i = 0; i < stored.length; i += 2) listed.set(stored[i], JSON.parse(stored[i + 1]))
      return listed
    })
  }

  hasMember(channel: string, userId: string): Promise<boolean> {
    return this.#run('hasMember', async () => {
      return (await this.#redis.hexists(this.#channelKeys(channel)[1], userId)) === 1
    })
  }

  channels(): Promise<Map<string, ChannelStats>> {
    return this.#run('channels', async () => {
      const names = await this.#redis.smembers(this.#channelsKey)
      const stats = await Promise.all(names.map((name) => this.#stats(name)))
      const occupied = new Map<string, ChannelStats>()
      const empty: string[] = []
      names.forEach((name, index) => {
        if (stats[index].subscriptionCount > 0) occupied.set(name, stats[index])
        else empty.push(name)
      })
      // Left listed by a join that raced a leave: dropped if still empty
      await Promise.all(empty.map((name) => this.#prune(name)))
      return occupied
    })
  }

  channel(name: string): Promise<ChannelStats> {
    return this.#run('channel', () => this.#stats(name))
  }

  async #stats(channel: string): Promise<ChannelStats> {
    const [sockets, members] = this.#channelKeys(channel)
    if (!channel.startsWith('presence-')) {
      return { subscriptionCount: await this.#redis.hlen(sockets) }
    }
    const [subscriptionCount, userCount] = await Promise.all([
      this.#redis.hlen(sockets),
      this.#redis.hlen(members),
    ])
    return { subscriptionCount, userCount }
  }

  cacheEvent(channel: string, frame: string, ttlMs: number): Promise<void> {
    return this.#run('cacheEvent', async () => {
      await this.#redis.set(this.#cacheKey(channel), frame, 'PX', Math.max(1, Math.ceil(ttlMs)))
    })
  }

  cachedEvent(channel: string): Promise<CachedFrame | undefined> {
    return this.#run('cachedEvent', async () => {
      const key = this.#cacheKey(channel)
      // One slot: both read in one transaction, so the TTL is the frame's
      const replies = await this.#redis.multi().get(key).pttl(key).exec()
      const frame = replies?.[0]?.[1] as string | null
      const ttl = replies?.[1]?.[1] as number
      if (frame === null || frame === undefined || ttl < 0) return undefined
      return { frame, expiresAt: Date.now() + ttl }
    })
  }

  heartbeat(): Promise<boolean> {
    return this.#run('heartbeat', async () => {
      const previous = await this.#redis.set(
        this.#aliveKey(this.nodeId),
        String(Date.now()),
        'PX',
        this.nodeTimeout,
        'GET'
      )
      await this.#redis.sadd(this.#nodesKey, this.nodeId)
      // Registered before and now gone: Redis restarted empty, or this
      // node was reaped after a stall
      const lost = this.#registered && previous === null
      this.#registered = true
      return lost
    })
  }

  reapDeadNodes(leaveDelayMs = 0): Promise<ReapedLeave[]> {
    return this.#run('reapDeadNodes', async () => {
      const registered = await this.#redis.smembers(this.#nodesKey)
      const nodes = registered.filter((id) => id !== this.nodeId)
      const alive = await Promise.all(nodes.map((id) => this.#redis.exists(this.#aliveKey(id))))
      const leaves: ReapedLeave[] = []
      for (const [index, nodeId] of nodes.entries()) {
        if (alive[index]) continue
        // One survivor reaps a node; the leave script alone already makes
        // each membership leave once, the lock spares the others the work
        const locked = await this.#redis.set(
          this.#reaperKey(nodeId),
          this.nodeId,
          'PX',
          this.nodeTimeout,
          'NX'
        )
        if (locked !== 'OK') continue
        // It may have come back since it was looked at
        if (await this.#redis.exists(this.#aliveKey(nodeId))) continue
        leaves.push(...(await this.#leaveAll(nodeId, leaveDelayMs)))
        await this.#redis.srem(this.#nodesKey, nodeId)
      }
      return leaves
    })
  }

  removeNode(): Promise<void> {
    return this.#run('removeNode', async () => {
      await this.#leaveAll(this.nodeId)
      await this.#redis.del(this.#aliveKey(this.nodeId))
      await this.#redis.srem(this.#nodesKey, this.nodeId)
      this.#registered = false
    })
  }
}
