import { configProvider } from '@adonisjs/core'
import type { ConfigProvider } from '@adonisjs/core/types'
import { RuntimeException } from '@adonisjs/core/exceptions'
import { DEFAULT_MAX_PAYLOAD_BYTES } from './emitting/message.ts'
import { CONSOLE_CHANNEL } from './console/console_feed.ts'
import { assertCredentials } from './drivers/credentials.ts'
import { isLocalRequest } from './metrics/local_request.ts'
import {
  DEFAULT_MAX_REMEMBERED,
  DEFAULT_REPLAY_WINDOW_MS,
} from './incoming_webhooks/replay_guard.ts'
import type { LogDriver } from './drivers/log.ts'
import type { NullDriver } from './drivers/null.ts'
import type { LocalDriver, LocalDriverConfig } from './drivers/local.ts'
import type { PusherDriver, PusherDriverConfig } from './drivers/pusher.ts'
import { clusterFactory, type BroadcastAdapter } from './adapters.ts'
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
export type LocalConnectionConfig = Omit<LocalDriverConfig, 'logger' | 'cluster' | 'events'> &
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
    const { maxPayloadBytes, onFailure, requireAuthenticatedSender, queue, adapter, ...server } =
      config
    const options = connectionOptions({
      maxPayloadBytes,
      onFailure,
      requireAuthenticatedSender,
      queue,
    })
    // The HTTP API accepts what the connection itself may send
    const limits = { maxEventBytes: options.maxPayloadBytes, ...server.limits }
    return configProvider.create(async (app) => {
      const { LocalDriver } = await import('./drivers/local.ts')
      const cluster = adapter && clusterFactory(app, adapter)
      return {
        driver: 'local',
        options,
        create: (context) => new LocalDriver({ ...server, limits, cluster }, context),
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
