import { bucketOf, type RedisKeys } from './redis_keys.ts'
import type { ScriptedRedis } from './redis_scripts.ts'

/**
 * A node's memberships per bucket, counted from the scripts' answers (a
 * membership written, a membership removed). A bucket held whose
 * membership list is gone was lost: on a Redis Cluster, its master
 * restarted empty, or failed over to a replica that had not seen it.
 */
export class HeldBuckets {
  #held = new Map<number, number>()

  constructor(
    protected redis: ScriptedRedis,
    protected keys: RedisKeys,
    protected nodeId: string
  ) {}

  count(channel: string, change: 1 | -1) {
    const bucket = bucketOf(channel)
    const held = (this.#held.get(bucket) ?? 0) + change
    if (held > 0) this.#held.set(bucket, held)
    else this.#held.delete(bucket)
  }

  /**
   * True when a bucket held has lost its membership list; its count is
   * forgotten, and the rejoin that follows counts it again
   */
  async lost(): Promise<boolean> {
    const held = [...this.#held.keys()]
    const found = await Promise.all(
      held.map((bucket) => this.redis.exists(this.keys.memberships(bucket, this.nodeId)))
    )
    // A leave answered meanwhile may have emptied a list: only the still held count
    const gone = held.filter((bucket, index) => !found[index] && this.#held.has(bucket))
    for (const bucket of gone) this.#held.delete(bucket)
    return gone.length > 0
  }

  clear() {
    this.#held.clear()
  }
}
