import type { ApplicationService } from '@adonisjs/core/types'
import { RuntimeException } from '@adonisjs/core/exceptions'
import { DEFAULT_MAX_PAYLOAD_BYTES } from './payload.ts'
import { DEFAULT_RETRY, type RetryOptions } from './retry.ts'
import type { ServerLimits } from './server/limits.ts'
import type {
  BroadcastConfig,
  ConnectionConfig,
  ConnectionOptions,
  PusherCredentials,
} from './types.ts'

/**
 * Defines "config/broadcast.ts", checking that the default connection exists
 *
 * @example
 * export default defineConfig({
 *   default: env.get('BROADCAST_CONNECTION'),
 *   connections: { pusher: drivers.pusher({ ... }), log: drivers.log() },
 * })
 */
export function defineConfig<Connections extends Record<string, ConnectionConfig>>(
  config: BroadcastConfig<Connections>
): BroadcastConfig<Connections> {
  if (!config.connections || typeof config.connections !== 'object') {
    throw new RuntimeException('Missing "connections" in "config/broadcast.ts"')
  }
  if (!config.connections[config.default]) {
    throw new RuntimeException(
      `The default broadcast connection "${String(config.default)}" is not defined in "config/broadcast.ts". Defined: ${Object.keys(config.connections).join(', ') || 'none'}`
    )
  }
  return config
}

function connectionOptions(options: ConnectionOptions): ConnectionConfig['options'] {
  return {
    maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES,
    onFailure: 'throw',
    requireAuthenticatedSender: false,
    ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)),
  } as ConnectionConfig['options']
}

/**
 * Config of the pusher driver: Pusher Channels (give a cluster) or any
 * Pusher-compatible server (give host, port and scheme)
 */
export interface PusherConnectionConfig extends ConnectionOptions {
  appId: string
  key: string
  secret: string
  cluster?: string
  host?: string
  port?: number | string
  scheme?: 'http' | 'https'
  useTLS?: boolean
  /**
   * Request timeout in milliseconds
   */
  timeout?: number
  /**
   * 32 bytes in base64, for "private-encrypted-" channels
   */
  encryptionMasterKeyBase64?: string
  /**
   * Retries of transient failures (network errors, 5xx, 429)
   */
  retry?: Partial<RetryOptions>
}

/**
 * Config of the local driver: the embedded Pusher-protocol server, attached
 * to the app's HTTP server or run with "node ace broadcast:serve"
 */
export interface LocalConnectionConfig extends ConnectionOptions {
  appId: string
  key: string
  secret: string
  /**
   * Path prefix before "/app/<key>" (pusher-js "wsPath")
   */
  path?: string
  /**
   * Connection, message, channel, presence and rate limits
   */
  limits?: Partial<ServerLimits>
  /**
   * Whether client events ("client-*", Echo's whisper) may be sent on a
   * channel. Default: never
   */
  clientEventsAllowed?: (channel: string) => boolean
  /**
   * How long cache channels keep their last event, in seconds
   */
  cacheTtl?: number
  /**
   * Browser origins allowed to open a WebSocket: "https://app.example.com",
   * "app.example.com" (any scheme and port), "*.example.com" (subdomains)
   * or "*". Other origins are closed with 4009. Default: any origin
   */
  allowedOrigins?: string[]
  /**
   * Where the app serving the embedded server listens (its HOST and PORT).
   * Ace commands and queue workers publish there through the Pusher HTTP
   * API; without it they fail with E_BROADCAST_SERVER_NOT_RUNNING.
   */
  publishTo?: { host: string; port: number | string; scheme?: 'http' | 'https' }
}

/**
 * App credentials are required by the drivers that sign
 */
function assertCredentials(driver: string, config: Partial<PusherCredentials>) {
  for (const key of ['appId', 'key', 'secret'] as const) {
    if (!config[key]) {
      throw new RuntimeException(
        `Missing "${key}" for the ${driver} broadcast driver. Set PUSHER_APP_ID, PUSHER_APP_KEY and PUSHER_APP_SECRET`
      )
    }
  }
}

/**
 * Driver factories for "config/broadcast.ts". Drivers are imported lazily.
 */
export const drivers = {
  pusher(config: PusherConnectionConfig): ConnectionConfig {
    const { maxPayloadBytes, onFailure, requireAuthenticatedSender, retry, ...pusher } = config
    assertCredentials('pusher', pusher)
    return {
      driver: 'pusher',
      options: connectionOptions({ maxPayloadBytes, onFailure, requireAuthenticatedSender }),
      async create() {
        const { PusherDriver } = await import('./drivers/pusher.ts')
        return new PusherDriver({ ...pusher, retry: { ...DEFAULT_RETRY, ...retry } })
      },
    }
  },

  local(config: LocalConnectionConfig): ConnectionConfig {
    const { maxPayloadBytes, onFailure, requireAuthenticatedSender, limits, ...server } = config
    assertCredentials('local', server)
    const options = connectionOptions({ maxPayloadBytes, onFailure, requireAuthenticatedSender })
    return {
      driver: 'local',
      options,
      async create(app, context) {
        const { LocalDriver } = await import('./drivers/local.ts')
        // The HTTP API accepts what the connection itself may send
        return new LocalDriver({
          logger: await app.container.make('logger'),
          ...server,
          limits: { maxEventBytes: options.maxPayloadBytes, ...limits },
          // Client events follow the policy's "clientEvents" flag, hot reloads included
          clientEventsAllowed:
            server.clientEventsAllowed ??
            ((channel) => context?.policies()?.clientEventsAllowed(channel) ?? false),
        })
      },
    }
  },

  log(options: ConnectionOptions = {}): ConnectionConfig {
    return {
      driver: 'log',
      options: connectionOptions(options),
      async create(app: ApplicationService) {
        const { LogDriver } = await import('./drivers/log.ts')
        return new LogDriver(await app.container.make('logger'))
      },
    }
  },

  null(options: ConnectionOptions = {}): ConnectionConfig {
    return {
      driver: 'null',
      options: connectionOptions(options),
      async create() {
        const { NullDriver } = await import('./drivers/null.ts')
        return new NullDriver()
      },
    }
  },
}
