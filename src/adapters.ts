import type { ApplicationService } from '@adonisjs/core/types'
import { RuntimeException } from '@adonisjs/core/exceptions'
import type { ClusterAdapter, ClusterFactory, ServerLimits } from '@adonisjs-broadcasting/engine'

/**
 * The "adapter" option of "drivers.local" in "config/broadcast.ts"
 * ("adapters.memory()", "adapters.redis(...)"): a ClusterFactory that also
 * gets the app, to reach its services (a Redis connection)
 */
export interface BroadcastAdapter {
  (app: ApplicationService, nodeId: string, limits: ServerLimits): Promise<ClusterAdapter>
  /**
   * See "ClusterFactory.shared"
   */
  readonly shared?: boolean
}

/**
 * Cluster adapters for the "adapter" option of "drivers.local": how the
 * app's processes share channels, presence and events. A Redis adapter
 * makes several processes one Pusher server.
 */
export const adapters = {
  /**
   * This process only (the default)
   */
  memory(): BroadcastAdapter {
    return async (_app, nodeId, limits) => {
      const { memoryCluster } = await import('@adonisjs-broadcasting/engine')
      return memoryCluster()(nodeId, limits)
    }
  },

  /**
   * Every process of the app shares one Redis through "@adonisjs/redis":
   * events reach every node, presence and counts are the cluster's
   */
  redis(config: RedisAdapterConfig = {}): BroadcastAdapter {
    // Shared across processes: ace commands and workers publish through it
    const adapter: BroadcastAdapter = async (app, nodeId) => {
      if (!app.container.hasBinding('redis')) {
        throw new RuntimeException(
          'adapters.redis() needs @adonisjs/redis: run "node ace add @adonisjs/redis" and set REDIS_HOST, REDIS_PORT and REDIS_PASSWORD'
        )
      }
      const [{ createRedisAdapter }, redis, logger] = await Promise.all([
        import('@adonisjs-broadcasting/engine'),
        app.container.make('redis' as any) as Promise<RedisConnections>,
        app.container.make('logger'),
      ])
      return createRedisAdapter(redis.connection(config.connection).ioConnection, {
        nodeId,
        prefix: config.prefix,
        nodeTimeout: config.nodeTimeout,
        routing: config.routing,
        limitTimeout: config.limitTimeout,
        logger,
      })
    }
    return Object.assign(adapter, { shared: true })
  },
}

/**
 * Options of "adapters.redis"
 */
export interface RedisAdapterConfig {
  /**
   * A connection of "config/redis.ts", to one Redis (7 or later) or to a
   * Redis Cluster. Default: its default connection
   */
  connection?: string
  /**
   * Put before every key and the bus channels, so several apps can share
   * one Redis. Default "broadcast:"
   */
  prefix?: string
  /**
   * Milliseconds without a heartbeat after which a node counts as dead and
   * its members leave. Default 10000 (heartbeats every 3 s)
   */
  nodeTimeout?: number
  /**
   * How a process subscribes to the bus channels of the channels it
   * serves: "linger" (ms an emptied channel stays subscribed, so a reload
   * costs no round trip; default 5000), "maxLingering" (default 10000)
   * and "maxPending" (subscribes waiting for Redis; past it a new channel
   * is refused with 503; default 20000)
   */
  routing?: {
    linger?: number
    maxLingering?: number
    maxPending?: number
  }
  /**
   * Milliseconds a limit counted across the processes (client events per
   * user, connections per address) waits for Redis; past it each process
   * counts alone, so a slow Redis does not hold clients. Default 500
   */
  limitTimeout?: number
}

/**
 * What the adapter needs of "@adonisjs/redis" (an optional peer: typed
 * here so apps without it still compile)
 */
interface RedisConnections {
  connection(name?: string): { ioConnection: import('ioredis').Redis | import('ioredis').Cluster }
}

/**
 * The engine's cluster factory for an adapter of the config: the adapter
 * gets the app too, to reach its services
 */
export function clusterFactory(app: ApplicationService, adapter: BroadcastAdapter): ClusterFactory {
  return Object.assign((nodeId: string, limits: ServerLimits) => adapter(app, nodeId, limits), {
    shared: adapter.shared,
  })
}
