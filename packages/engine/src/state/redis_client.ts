import type { Cluster, Redis } from 'ioredis'

/**
 * A connection to one Redis or to a Redis Cluster (the "ioConnection" of
 * an "@adonisjs/redis" connection is either)
 */
export type RedisClient = Redis | Cluster

interface DuplicateOptions {
  lazyConnect?: boolean
  enableOfflineQueue?: boolean
  /**
   * One Redis: resubscribe after a reconnect (ioredis's own)
   */
  autoResubscribe?: boolean
  /**
   * A cluster: one subscriber per master for sharded pub/sub, which
   * ioredis resubscribes when the masters or their slots change
   */
  shardedSubscribers?: boolean
}

/**
 * A new connection like the given one, with the options changed
 */
export function duplicateClient(client: RedisClient, options: DuplicateOptions): RedisClient {
  const { autoResubscribe, shardedSubscribers, ...shared } = options
  // An option given as undefined would override the client's own
  const set = <T extends object>(fields: T) =>
    Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined))
  if (client.isCluster) {
    return (client as Cluster).duplicate([], set({ ...shared, shardedSubscribers }))
  }
  return (client as Redis).duplicate(set({ ...shared, autoResubscribe }))
}
