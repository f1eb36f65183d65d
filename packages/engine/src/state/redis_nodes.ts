import type { ReapedLeave } from './channel_state.ts'
import type { RedisKeys } from './redis_keys.ts'
import type { ScriptedRedis } from './redis_scripts.ts'

/**
 * One membership of a node through the leave script; undefined when it
 * was not there
 */
export type MembershipLeave = (
  nodeId: string,
  channel: string,
  socketId: string,
  leaveDelayMs: number
) => Promise<ReapedLeave | undefined>

/**
 * The cluster's nodes in Redis: each is registered, and alive while the
 * key its heartbeat renews lives. A survivor reaps a dead node and a node
 * closing removes itself, each membership through the leave script, so
 * the channels hear who left, and its counts of sockets per address.
 */
export class RedisNodes {
  #registered = false

  constructor(
    protected redis: ScriptedRedis,
    protected keys: RedisKeys,
    protected nodeId: string,
    protected nodeTimeout: number,
    protected leave: MembershipLeave
  ) {}

  /**
   * Marks this node alive; true when Redis had lost its registration
   */
  async heartbeat(): Promise<boolean> {
    const previous = await this.redis.set(
      this.keys.alive(this.nodeId),
      String(Date.now()),
      'PX',
      this.nodeTimeout,
      'GET'
    )
    await this.redis.sadd(this.keys.nodes, this.nodeId)
    // Registered before and now gone: Redis restarted empty, or this
    // node was reaped after a stall
    const lost = this.#registered && previous === null
    this.#registered = true
    return lost
  }

  async reapDead(leaveDelayMs: number): Promise<ReapedLeave[]> {
    const registered = await this.redis.smembers(this.keys.nodes)
    const nodes = registered.filter((id) => id !== this.nodeId)
    const alive = await Promise.all(nodes.map((id) => this.redis.exists(this.keys.alive(id))))
    const leaves: ReapedLeave[] = []
    for (const [index, nodeId] of nodes.entries()) {
      if (alive[index]) continue
      // One survivor reaps a node; the leave script alone already makes
      // each membership leave once, the lock spares the others the work
      const locked = await this.redis.set(
        this.keys.reaper(nodeId),
        this.nodeId,
        'PX',
        this.nodeTimeout,
        'NX'
      )
      if (locked !== 'OK') continue
      // It may have come back since it was looked at
      if (await this.redis.exists(this.keys.alive(nodeId))) continue
      leaves.push(...(await this.#leaveAll(nodeId, leaveDelayMs)))
      await this.#forgetAddresses(nodeId)
      await this.redis.srem(this.keys.nodes, nodeId)
    }
    return leaves
  }

  /**
   * Removes this node's memberships and registration (a clean shutdown)
   */
  async remove() {
    await this.#leaveAll(this.nodeId)
    await this.#forgetAddresses(this.nodeId)
    await this.redis.del(this.keys.alive(this.nodeId))
    await this.redis.srem(this.keys.nodes, this.nodeId)
    this.#registered = false
  }

  /**
   * The node's sockets no longer count for their client addresses
   */
  async #forgetAddresses(nodeId: string) {
    const index = this.keys.addresses(nodeId)
    const addresses = await this.redis.smembers(index)
    for (const address of addresses) {
      await this.redis.hdel(this.keys.connections(address), nodeId)
    }
    await this.redis.del(index)
  }

  /**
   * Every membership of a node, each through the leave script
   */
  async #leaveAll(nodeId: string, leaveDelayMs = 0): Promise<ReapedLeave[]> {
    const buckets = await Promise.all(
      this.keys
        .buckets()
        .map((bucket) => this.redis.smembers(this.keys.memberships(bucket, nodeId)))
    )
    const entries = buckets.flat()
    const leaves: ReapedLeave[] = []
    for (const entry of entries) {
      const split = entry.indexOf('\n')
      const left = await this.leave(
        nodeId,
        entry.slice(0, split),
        entry.slice(split + 1),
        leaveDelayMs
      )
      if (left) leaves.push(left)
    }
    return leaves
  }
}
