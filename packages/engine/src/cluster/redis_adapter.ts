import debug from '../debug.ts'
import { RedisBus } from '../bus/redis_bus.ts'
import type { BusInterestOptions } from '../bus/channel_interest.ts'
import { RedisState } from '../state/redis_state.ts'
import { duplicateClient, type RedisClient } from '../state/redis_client.ts'

export interface RedisAdapterOptions {
  /**
   * This node's id, unique in the cluster (a random one per process)
   */
  nodeId: string
  /**
   * Put before every key and the bus channels. Default "broadcast:"
   */
  prefix?: string
  /**
   * Milliseconds without a heartbeat after which a node counts as dead.
   * Default 10 000
   */
  nodeTimeout?: number
  /**
   * How the node subscribes to the bus channels it serves: "linger" (ms an
   * emptied channel stays subscribed, default 5000), "maxLingering"
   * (10 000) and "maxPending" (20 000)
   */
  routing?: BusInterestOptions
  /**
   * How long a limit counted across the nodes (client events per user,
   * connections per address) waits for Redis before the node counts
   * alone (ms). Default 500
   */
  limitTimeout?: number
  logger?: { error(details: object, message: string): void }
}

/**
 * The bus and the channel state of one node over Redis. "connection" is
 * the app's ioredis client, to one Redis (7 or later) or a Redis Cluster
 * (in an AdonisJS app, the "ioConnection" of a Redis connection): it is
 * only duplicated, never used or closed here.
 * "close" releases the connections made here (after "state.removeNode()").
 */
export function createRedisAdapter(connection: RedisClient, options: RedisAdapterOptions) {
  const prefix = options.prefix ?? 'broadcast:'
  // State calls fail fast while Redis is away instead of queueing: the
  // caller reports them and the heartbeat re-registers once it is back
  const commands = duplicateClient(connection, { enableOfflineQueue: false, lazyConnect: true })
  commands.on('error', (error: Error) => debug('broadcast state (Redis): %s', error.message))
  const state = new RedisState(commands, {
    nodeId: options.nodeId,
    prefix,
    nodeTimeout: options.nodeTimeout,
    limitTimeout: options.limitTimeout,
  })
  const bus = new RedisBus(connection, {
    nodeId: options.nodeId,
    prefix,
    routing: options.routing,
    logger: options.logger,
  })
  return {
    bus,
    state,
    async close() {
      await bus.close()
      if (commands.status === 'ready') await commands.quit().catch(() => commands.disconnect())
      else commands.disconnect()
    },
  }
}
