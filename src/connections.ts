import { configProvider } from '@adonisjs/core'
import type { ConfigProvider } from '@adonisjs/core/types'
import { assertCredentials } from './drivers/credentials.ts'
import type { BroadcastDriver, DriverContext } from './drivers/types.ts'
import type { LogDriver } from './drivers/log.ts'
import type { NullDriver } from './drivers/null.ts'
import type { LocalDriver, LocalDriverConfig } from './drivers/local.ts'
import type { PusherDriver, PusherDriverConfig } from './drivers/pusher.ts'
import {
  resolveConnectionOptions,
  type ConnectionOptions,
  type ResolvedConnectionOptions,
} from './emitting/connection_options.ts'
import { clusterFactory, type BroadcastAdapter } from './adapters.ts'

/**
 * A resolved connection: its options and a factory the manager calls on
 * first use. "drivers.*" in the config return config providers of these,
 * so a driver's module is imported only when the config is resolved.
 */
export interface ConnectionFactory<Driver extends BroadcastDriver = BroadcastDriver> {
  driver: string
  options: ResolvedConnectionOptions
  create(context: DriverContext): Driver
}

/**
 * Connection names mapped to their factories. Written as a mapped type so
 * an interface (the app's BroadcastConnections) satisfies it.
 */
export type ConnectionsList<T> = { [K in keyof T]: ConnectionFactory }

/**
 * The driver a connection creates
 */
export type DriverOf<T> = T extends ConnectionFactory<infer Driver> ? Driver : BroadcastDriver

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
        options: resolveConnectionOptions({
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
    const options = resolveConnectionOptions({
      maxPayloadBytes,
      onFailure,
      requireAuthenticatedSender,
      queue,
    })
    // The HTTP API accepts what the connection itself may send
    const limits = { maxEventBytes: options.maxPayloadBytes, ...server.limits }
    return configProvider.create(async (app) => {
      const [{ LocalDriver }, { appClientAddress }] = await Promise.all([
        import('./drivers/local.ts'),
        import('./drivers/client_address.ts'),
      ])
      const cluster = adapter && clusterFactory(app, adapter)
      // Behind the proxies the app trusts, as "request.ip()"
      const clientAddress = server.clientAddress ?? appClientAddress(app)
      return {
        driver: 'local',
        options,
        create: (context) =>
          new LocalDriver({ ...server, limits, cluster, clientAddress }, context),
      }
    })
  },

  log(options: ConnectionOptions = {}): ConfigProvider<ConnectionFactory<LogDriver>> {
    return configProvider.create(async () => {
      const { LogDriver } = await import('./drivers/log.ts')
      return {
        driver: 'log',
        options: resolveConnectionOptions(options),
        create: ({ logger }) => new LogDriver(logger),
      }
    })
  },

  null(options: ConnectionOptions = {}): ConfigProvider<ConnectionFactory<NullDriver>> {
    return configProvider.create(async () => {
      const { NullDriver } = await import('./drivers/null.ts')
      return {
        driver: 'null',
        options: resolveConnectionOptions(options),
        create: () => new NullDriver(),
      }
    })
  },
}
