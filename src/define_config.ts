import { configProvider } from '@adonisjs/core'
import type { ApplicationService, ConfigProvider } from '@adonisjs/core/types'
import type { Logger } from '@adonisjs/core/logger'
import { RuntimeException } from '@adonisjs/core/exceptions'
import { DEFAULT_MAX_PAYLOAD_BYTES } from './message.ts'
import { CONSOLE_CHANNEL } from './console/console_feed.ts'
import { assertCredentials } from './drivers/credentials.ts'
import { isLocalRequest } from './local_request.ts'
import { DEFAULT_MAX_REMEMBERED, DEFAULT_REPLAY_WINDOW_MS } from './webhooks/replay_guard.ts'
import type { LogDriver } from './drivers/log.ts'
import type { NullDriver } from './drivers/null.ts'
import type { LocalDriver, LocalDriverConfig } from './drivers/local.ts'
import type { PusherDriver, PusherDriverConfig } from './drivers/pusher.ts'
import type { ClusterAdapter, LifecycleListener, ServerLimits } from '@adonisjs-broadcasting/engine'
import { emitLifecycleEvent, type LifecycleEmitter } from './lifecycle_events.ts'
import type {
  BroadcastConfig,
  ConnectionFactory,
  ConnectionOptions,
  ConnectionsList,
  ResolvedBroadcastConfig,
  ResolvedConnectionOptions,
} from './types.ts'

/**
 * What "drivers.pusher" accepts: the driver's config and the options of
 * every connection
 */
export type PusherConnectionConfig = PusherDriverConfig & ConnectionOptions

/**
 * What "drivers.local" accepts. The logger is the app's; the cluster comes
 * from "adapter".
 */
export type LocalConnectionConfig = Omit<LocalDriverConfig, 'logger' | 'cluster'> &
  ConnectionOptions & {
    /**
     * How the nodes of the app share channels and events:
     * "adapters.memory()" (the default, one process) or a Redis adapter
     */
    adapter?: BroadcastAdapter
  }

/**
 * Defines "config/broadcast.ts". The default connection must exist; drivers
 * and defaults are resolved when the app first needs the service.
 *
 * @example
 * export default defineConfig({
 *   default: env.get('BROADCAST_CONNECTION'),
 *   connections: { pusher: drivers.pusher({ ... }), log: drivers.log() },
 * })
 */
export function defineConfig<KnownConnections extends ConnectionsList<KnownConnections>>(
  config: BroadcastConfig<KnownConnections>
): ConfigProvider<ResolvedBroadcastConfig<KnownConnections>> {
  if (!config.connections || typeof config.connections !== 'object') {
    throw new RuntimeException('Missing "connections" in "config/broadcast.ts"')
  }
  if (!config.connections[config.default]) {
    throw new RuntimeException(
      `The default broadcast connection "${String(config.default)}" is not defined in "config/broadcast.ts". Defined: ${Object.keys(config.connections).join(', ') || 'none'}`
    )
  }

  const webhooks = config.incomingWebhooks
  if (webhooks?.connection !== undefined && !config.connections[webhooks.connection]) {
    throw new RuntimeException(
      `The "incomingWebhooks.connection" "${String(webhooks.connection)}" is not defined in "config/broadcast.ts". Defined: ${Object.keys(config.connections).join(', ')}`
    )
  }
  for (const option of ['replayWindow', 'maxRemembered'] as const) {
    const value = webhooks?.[option]
    if (value !== undefined && (!Number.isInteger(value) || value <= 0)) {
      throw new RuntimeException(
        `"incomingWebhooks.${option}" must be a positive integer in "config/broadcast.ts"`
      )
    }
  }

  return configProvider.create(async (app) => {
    const connections: Record<string, ConnectionFactory> = {}
    for (const [name, connection] of Object.entries<ConfigProvider<ConnectionFactory>>(
      config.connections as any
    )) {
      connections[name] = (await configProvider.resolve(app, connection)) ?? (connection as any)
    }

    const authorization = config.authorization ?? {}
    return {
      default: config.default,
      connections: connections as KnownConnections,
      policies: {
        path: config.policies?.path ?? app.makePath('policies'),
        watch: config.policies?.watch ?? false,
        predicates: { ...config.policies?.predicates },
        user: config.policies?.user ?? null,
        logDecisions: config.policies?.logDecisions ?? false,
      },
      authorization: {
        ...authorization,
        path: authorization.path ?? '/broadcasting/authorize',
        aliases: authorization.aliases ?? [],
        userAuthPath: authorization.userAuthPath ?? '/broadcasting/user-auth',
        debug: authorization.debug ?? !app.inProduction,
      },
      console: {
        enabled: config.console?.enabled ?? !app.inProduction,
        path: config.console?.path ?? '/broadcasting/console',
        channel: config.console?.channel ?? CONSOLE_CHANNEL,
      },
      metrics: {
        enabled: config.metrics?.enabled ?? config.metrics !== undefined,
        prefix: config.metrics?.prefix ?? 'broadcast_',
        registry: config.metrics?.registry,
        path: config.metrics?.path ?? '/metrics',
        // Prometheus on this machine (or a sidecar), never through a proxy
        shouldExpose: config.metrics?.shouldExpose ?? isLocalRequest,
      },
      incomingWebhooks: webhooks && {
        path: webhooks.path ?? '/broadcasting/webhooks',
        connection: webhooks.connection ?? config.default,
        replayWindow: webhooks.replayWindow ?? DEFAULT_REPLAY_WINDOW_MS,
        maxRemembered: webhooks.maxRemembered ?? DEFAULT_MAX_REMEMBERED,
      },
      broadcastOnDispatch: config.broadcastOnDispatch ?? true,
    }
  })
}

/**
 * The embedded server's lifecycle events go to the app's emitter
 * ("broadcast:<name>") and to the config's own listener, if any. A failing
 * listener is logged: it must not break the server.
 */
function lifecycleListener(
  own: LifecycleListener | undefined,
  emitter: LifecycleEmitter | undefined,
  logger: Logger
): LifecycleListener | undefined {
  if (!own && !emitter) return undefined
  return (event) => {
    if (emitter) {
      Promise.resolve(emitLifecycleEvent(emitter, event)).catch((error) =>
        logger.error({ err: error }, `broadcast: a "broadcast:${event.name}" listener failed`)
      )
    }
    own?.(event)
  }
}

function connectionOptions(options: ConnectionOptions): ResolvedConnectionOptions {
  return {
    maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES,
    onFailure: 'throw',
    requireAuthenticatedSender: false,
    ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)),
  }
}

/**
 * Driver factories for "config/broadcast.ts". A driver's module is imported
 * when the config is resolved, and the driver is created (its credentials
 * checked) on the connection's first use.
 */
export const drivers = {
  pusher(config: PusherConnectionConfig): ConfigProvider<ConnectionFactory<PusherDriver>> {
    const { maxPayloadBytes, onFailure, requireAuthenticatedSender, queue, ...pusher } = config
    return configProvider.create(async () => {
      const { PusherDriver } = await import('./drivers/pusher.ts')
      return {
        driver: 'pusher',
        options: connectionOptions({
          maxPayloadBytes,
          onFailure,
          requireAuthenticatedSender,
          queue,
        }),
        create({ connection }) {
          assertCredentials(connection, pusher)
          return new PusherDriver(pusher)
        },
      }
    })
  },

  local(config: LocalConnectionConfig): ConfigProvider<ConnectionFactory<LocalDriver>> {
    const {
      maxPayloadBytes,
      onFailure,
      requireAuthenticatedSender,
      queue,
      limits,
      adapter,
      ...server
    } = config
    const options = connectionOptions({
      maxPayloadBytes,
      onFailure,
      requireAuthenticatedSender,
      queue,
    })
    return configProvider.create(async (app) => {
      const { LocalDriver } = await import('./drivers/local.ts')
      return {
        driver: 'local',
        options,
        create({ connection, logger, policies, emitter, metrics, console: feed }) {
          assertCredentials(connection, server)
          const lifecycle = lifecycleListener(server.onLifecycleEvent, emitter, logger)
          const driver = new LocalDriver({
            logger,
            metrics,
            onPublish: feed && ((...args) => feed.published(...args)),
            ...server,
            onLifecycleEvent: feed
              ? (event) => {
                  feed.lifecycle(event)
                  lifecycle?.(event)
                }
              : lifecycle,
            cluster:
              adapter &&
              Object.assign(
                (nodeId: string, serverLimits: ServerLimits) => adapter(app, nodeId, serverLimits),
                { shared: adapter.shared }
              ),
            // The HTTP API accepts what the connection itself may send
            limits: { maxEventBytes: options.maxPayloadBytes, ...limits },
            // Client events follow the policy's "clientEvents" flag, hot reloads included
            clientEventsAllowed:
              server.clientEventsAllowed ??
              ((channel) => policies?.clientEventsAllowed(channel) ?? false),
          })
          feed?.attach(driver.server)
          return driver
        },
      }
    })
  },

  log(options: ConnectionOptions = {}): ConfigProvider<ConnectionFactory<LogDriver>> {
    return configProvider.create(async () => {
      const { LogDriver } = await import('./drivers/log.ts')
      return {
        driver: 'log',
        options: connectionOptions(options),
        create: ({ logger }) => new LogDriver(logger),
      }
    })
  },

  null(options: ConnectionOptions = {}): ConfigProvider<ConnectionFactory<NullDriver>> {
    return configProvider.create(async () => {
      const { NullDriver } = await import('./drivers/null.ts')
      return {
        driver: 'null',
        options: connectionOptions(options),
        create: () => new NullDriver(),
      }
    })
  },
}

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
   * A connection of "config/redis.ts". Default: its default connection
   */
  connection?: string
  /**
   * Put before every key and the bus channel, so several apps can share
   * one Redis. Default "broadcast:"
   */
  prefix?: string
  /**
   * Milliseconds without a heartbeat after which a node counts as dead and
   * its members leave. Default 10000 (heartbeats every 3 s)
   */
  nodeTimeout?: number
}

/**
 * What the adapter needs of "@adonisjs/redis" (an optional peer: typed
 * here so apps without it still compile)
 */
interface RedisConnections {
  connection(name?: string): { ioConnection: import('ioredis').Redis }
}
