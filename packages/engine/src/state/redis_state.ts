import type { RedisClient } from './redis_client.ts'
import type {
  CachedFrame,
  ChannelState,
  ChannelStats,
  ConfirmedLeave,
  JoinResult,
  LeaveResult,
  PresenceMember,
  ReapedLeave,
  SocketOwner,
} from './channel_state.ts'
import { withScripts, type ScriptedRedis } from './redis_scripts.ts'
import { bucketOf, RedisKeys } from './redis_keys.ts'
import { RedisNodes } from './redis_nodes.ts'
import { RedisLimits } from './redis_limits.ts'
import { HeldBuckets } from './held_buckets.ts'

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
  /**
   * How long a limit counted across the nodes (client events per user,
   * connections per address) waits for Redis before the call rejects and
   * the node counts alone (ms). Default 500
   */
  limitTimeout?: number
}

/**
 * Channel state in Redis (one server or a Redis Cluster), shared by every
 * node. The keys of one channel share the hash tag of its bucket; each
 * node keeps an index of its memberships per bucket ("channel\nsocketId")
 * so it, or a survivor reaping it, can remove exactly its subscriptions.
 *
 * The client is not owned: it should fail fast when Redis is unreachable
 * (enableOfflineQueue: false), see createRedisAdapter.
 */
export class RedisState implements ChannelState {
  readonly nodeId: string
  readonly prefix: string
  readonly nodeTimeout: number
  readonly limitTimeout: number

  #redis: ScriptedRedis
  #keys: RedisKeys
  #nodes: RedisNodes
  #limits: RedisLimits
  #leaves = 0
  #connecting?: Promise<void>
  // Lost buckets are reported by the heartbeat, so the node joins again
  #held: HeldBuckets

  constructor(redis: RedisClient, options: RedisStateOptions) {
    this.nodeId = options.nodeId
    this.prefix = options.prefix ?? 'broadcast:'
    this.nodeTimeout = options.nodeTimeout ?? 10_000
    this.limitTimeout = options.limitTimeout ?? 500
    this.#redis = withScripts(redis)
    this.#keys = new RedisKeys(this.prefix)
    this.#limits = new RedisLimits(this.#redis, this.#keys, this.nodeId, this.limitTimeout)
    this.#held = new HeldBuckets(this.#redis, this.#keys, this.nodeId)
    this.#nodes = new RedisNodes(
      this.#redis,
      this.#keys,
      this.nodeId,
      this.nodeTimeout,
      (nodeId, channel, socketId, leaveDelayMs) =>
        this.#leave(nodeId, channel, socketId, leaveDelayMs)
    )
    // A lazy client (no offline queue) connects once, before the first call
    if (redis.status === 'wait') {
      const connecting = redis.connect().finally(() => (this.#connecting = undefined))
      connecting.catch(() => {})
      this.#connecting = connecting
    }
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
    maxMembers?: number,
    owner?: SocketOwner
  ): Promise<JoinResult> {
    return this.#run('join', async () => {
      // One script with its index entries: a leave is never in between
      const [occupied, memberAdded, full, reoccupied, returned, tooMany, written] =
        await this.#redis.broadcastJoin(
          ...this.#keys.membership(channel, this.nodeId),
          `${this.nodeId}:${socketId}`,
          member ? '1' : '0',
          member?.id ?? '',
          member ? JSON.stringify(member.info ?? null) : '',
          maxMembers ?? 0,
          `${channel}\n${socketId}`,
          channel,
          // A presence member counts under its id, whoever is named
          member?.id ?? owner?.userId ?? '',
          owner?.maxSockets ?? 0
        )
      if (written) this.#held.count(channel, 1)
      if (full) return { occupied: false, memberAdded: false, full: true }
      if (tooMany) return { occupied: false, memberAdded: false, tooManySockets: true }
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
      const [, members, users, left] = this.#keys.channel(channel)
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
      ...this.#keys.membership(channel, nodeId),
      `${nodeId}:${socketId}`,
      token,
      Math.max(0, Math.ceil(leaveDelayMs)),
      `${channel}\n${socketId}`,
      channel
    )
    if (!removed) return undefined
    if (nodeId === this.nodeId) this.#held.count(channel, -1)
    const left: ReapedLeave = { channel, vacated: vacated === 1 }
    if (memberRemoved) left.memberRemoved = userId
    if (pending) left.pending = token
    return left
  }

  #prune(channel: string) {
    const index = this.#keys.channels(bucketOf(channel))
    return this.#redis.broadcastPrune(index, this.#keys.channel(channel)[0], channel)
  }

  takeClientEvent(channel: string, userId: string, perSecond: number): Promise<boolean> {
    return this.#run('takeClientEvent', () =>
      this.#limits.takeClientEvent(channel, userId, perSecond)
    )
  }

  openConnection(address: string, count: number, limit: number): Promise<boolean> {
    return this.#run('openConnection', () => this.#limits.openConnection(address, count, limit))
  }

  recordConnections(address: string, count: number): Promise<void> {
    return this.#run('recordConnections', () => this.#limits.recordConnections(address, count))
  }

  members(channel: string): Promise<Map<string, unknown>> {
    return this.#run('members', async () => {
      const [, members, users, left] = this.#keys.channel(channel)
      const stored = await this.#redis.broadcastMembers(members, users, left)
      const listed = new Map<string, unknown>()
      for (let i = 0; i < stored.length; i += 2) listed.set(stored[i], JSON.parse(stored[i + 1]))
      return listed
    })
  }

  hasMember(channel: string, userId: string): Promise<boolean> {
    return this.#run('hasMember', async () => {
      return (await this.#redis.hexists(this.#keys.channel(channel)[1], userId)) === 1
    })
  }

  channels(): Promise<Map<string, ChannelStats>> {
    return this.#run('channels', async () => {
      // Each bucket's index on its own slot (on a cluster, its own master)
      const buckets = await Promise.all(
        this.#keys.buckets().map((bucket) => this.#redis.smembers(this.#keys.channels(bucket)))
      )
      const names = buckets.flat()
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
    const [sockets, members] = this.#keys.channel(channel)
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
      await this.#redis.set(this.#keys.cache(channel), frame, 'PX', Math.max(1, Math.ceil(ttlMs)))
    })
  }

  cachedEvent(channel: string): Promise<CachedFrame | undefined> {
    return this.#run('cachedEvent', async () => {
      const key = this.#keys.cache(channel)
      // One slot: both read in one transaction, so the TTL is the frame's
      const replies = await this.#redis.multi().get(key).pttl(key).exec()
      const frame = replies?.[0]?.[1] as string | null
      const ttl = replies?.[1]?.[1] as number
      if (frame === null || frame === undefined || ttl < 0) return undefined
      return { frame, expiresAt: Date.now() + ttl }
    })
  }

  /**
   * True when Redis lost this node's registration or any of its buckets
   */
  heartbeat(): Promise<boolean> {
    return this.#run('heartbeat', async () => {
      const lost = await this.#nodes.heartbeat()
      return (await this.#held.lost()) || lost
    })
  }

  reapDeadNodes(leaveDelayMs = 0): Promise<ReapedLeave[]> {
    return this.#run('reapDeadNodes', () => this.#nodes.reapDead(leaveDelayMs))
  }

  removeNode(): Promise<void> {
    return this.#run('removeNode', async () => {
      await this.#nodes.remove()
      this.#held.clear()
    })
  }
}
