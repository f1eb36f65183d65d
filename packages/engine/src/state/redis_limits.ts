import type { ScriptedRedis } from './redis_scripts.ts'
import type { RedisKeys } from './redis_keys.ts'

/**
 * The limits the nodes count together in Redis: client events per user
 * and channel (a one-second window), and sockets per client address (a
 * hash of node to count, each node's addresses listed for its reaper).
 * Each call rejects when Redis does not answer within "limitTimeout", so
 * the caller counts alone rather than wait.
 */
export class RedisLimits {
  constructor(
    protected redis: ScriptedRedis,
    protected keys: RedisKeys,
    protected nodeId: string,
    protected limitTimeout: number
  ) {}

  async takeClientEvent(channel: string, userId: string, perSecond: number): Promise<boolean> {
    const window = this.keys.clientEvents(channel, userId)
    const users = this.keys.channel(channel)[2]
    const count = await this.#inTime(this.redis.broadcastClientEvent(window, users, 1000, userId))
    return count <= perSecond
  }

  async openConnection(address: string, count: number, limit: number): Promise<boolean> {
    // Listed before it is counted: a node dying in between leaves no count behind
    const listed = count === 1 ? this.#list(address) : undefined
    // Awaited once the script answered: a failure is the script's too
    listed?.catch(() => {})
    const admitted = await this.#inTime(
      this.redis.broadcastOpenConnection(this.keys.connections(address), this.nodeId, count, limit)
    )
    await listed
    if (!admitted && count === 1) await this.#unlist(address)
    return admitted === 1
  }

  async recordConnections(address: string, count: number): Promise<void> {
    const key = this.keys.connections(address)
    if (count > 0) {
      await Promise.all([this.#list(address), this.redis.hset(key, this.nodeId, count)])
    } else {
      await Promise.all([this.redis.hdel(key, this.nodeId), this.#unlist(address)])
    }
  }

  #list(address: string) {
    return this.redis.sadd(this.keys.addresses(this.nodeId), address)
  }

  #unlist(address: string) {
    return this.redis.srem(this.keys.addresses(this.nodeId), address)
  }

  /**
   * A limit's call rejects when Redis does not answer within
   * "limitTimeout": connected but stalled, it would hold the caller
   */
  #inTime<T>(call: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${this.limitTimeout} ms`)),
        this.limitTimeout
      )
      timer.unref()
    })
    return Promise.race([call, late]).finally(() => clearTimeout(timer))
  }
}
