import { configProvider } from '@adonisjs/core'
import type { ConfigProvider } from '@adonisjs/core/types'
import { RuntimeException } from '@adonisjs/core/exceptions'
import { CONSOLE_CHANNEL } from './console/console_feed.ts'
import type { ConsoleConfig } from './console/types.ts'
import { isLocalRequest } from './metrics/local_request.ts'
import type { MetricsConfig, ResolvedMetricsConfig } from './metrics/types.ts'
import {
  DEFAULT_MAX_REMEMBERED,
  DEFAULT_REPLAY_WINDOW_MS,
} from './incoming_webhooks/replay_guard.ts'
import type {
  IncomingWebhooksConfig,
  ResolvedIncomingWebhooksConfig,
} from './incoming_webhooks/types.ts'
import type { PoliciesConfig, ResolvedPoliciesConfig } from './policies/types.ts'
import type { AuthorizationConfig, ResolvedAuthorizationConfig } from './authorization/types.ts'
import type { ConnectionFactory, ConnectionsList } from './connections.ts'

/**
 * "config/broadcast.ts" as written, given to "defineConfig"
 */
export interface BroadcastConfig<KnownConnections extends ConnectionsList<KnownConnections>> {
  default: keyof KnownConnections & string
  connections: {
    [K in keyof KnownConnections]: ConfigProvider<KnownConnections[K]> | KnownConnections[K]
  }
  policies?: PoliciesConfig
  authorization?: AuthorizationConfig
  /**
   * Receive Pusher's webhooks as lifecycle events on the app's emitter.
   * Off unless set
   */
  incomingWebhooks?: IncomingWebhooksConfig<keyof KnownConnections & string>
  /**
   * Prometheus metrics (needs "prom-client"). Off unless set
   */
  metrics?: MetricsConfig
  /**
   * The debug console page. On outside production unless set
   */
  console?: ConsoleConfig
  /**
   * Broadcast a Broadcastable class event when it is dispatched, with no
   * listener to write. Default: true
   */
  broadcastOnDispatch?: boolean
}

/**
 * "config/broadcast.ts" once resolved: what the services receive
 */
export interface ResolvedBroadcastConfig<
  KnownConnections extends ConnectionsList<KnownConnections> = Record<string, ConnectionFactory>,
> {
  default: keyof KnownConnections & string
  connections: KnownConnections
  policies: ResolvedPoliciesConfig
  authorization: ResolvedAuthorizationConfig
  /**
   * Absent when the app does not receive Pusher's webhooks
   */
  incomingWebhooks?: ResolvedIncomingWebhooksConfig
  metrics: ResolvedMetricsConfig
  console: Required<ConsoleConfig>
  broadcastOnDispatch: boolean
}

/**
 * Connections registered by the app's config, for typed "broadcast.use".
 * The app augments it with "InferConnections<typeof broadcastConfig>".
 */
export interface BroadcastConnections {}

/**
 * The connections of a "defineConfig" result
 */
export type InferConnections<T extends ConfigProvider<{ connections: ConnectionsList<any> }>> =
  Awaited<ReturnType<T['resolver']>>['connections']

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
