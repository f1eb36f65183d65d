import type { BroadcastMetrics } from '../../src/metrics/broadcast_metrics.ts'
import { configProvider } from '@adonisjs/core'
import type { Logger } from '@adonisjs/core/logger'
import { AppFactory } from '@adonisjs/core/factories/app'
import type { ApplicationService, ConfigProvider } from '@adonisjs/core/types'
import { BroadcastManager } from '../../src/broadcast_manager.ts'
import { defineConfig, type ResolvedBroadcastConfig } from '../../src/define_config.ts'
import {
  drivers,
  type ConnectionsList,
  type PusherConnectionConfig,
} from '../../src/connections.ts'
import { PusherApiServer } from './pusher_api_server.ts'

/**
 * An application of its own, not the example app: enough to resolve config
 * providers. Nothing is read from its (missing) root.
 */
export async function packageApp(): Promise<ApplicationService> {
  const app = new AppFactory().create(
    new URL('../tmp/package-app/', import.meta.url),
    (path) => import(path)
  )
  await app.init()
  return app as ApplicationService
}

/**
 * Resolves a "defineConfig" result as the provider does
 */
export async function resolveConfig<KnownConnections extends ConnectionsList<KnownConnections>>(
  config: ConfigProvider<ResolvedBroadcastConfig<KnownConnections>>,
  app?: ApplicationService
): Promise<ResolvedBroadcastConfig<KnownConnections>> {
  const resolved = await configProvider.resolve<ResolvedBroadcastConfig<KnownConnections>>(
    app ?? (await packageApp()),
    config
  )
  return resolved!
}

/**
 * A broadcast manager built from a "defineConfig" result, without the
 * container; "metrics" counts what its drivers tell, as the provider wires it
 */
export async function createManager<KnownConnections extends ConnectionsList<KnownConnections>>(
  config: ConfigProvider<ResolvedBroadcastConfig<KnownConnections>>,
  logger: Logger = recordingLogger().logger,
  app?: ApplicationService,
  dependencies: { metrics?: BroadcastMetrics } = {}
) {
  const manager = new BroadcastManager(await resolveConfig(config, app), { logger })
  dependencies.metrics?.listen(manager.events)
  return manager
}

/**
 * Records what the package logs, to assert on "report" failures
 */
export function recordingLogger() {
  const entries: Array<{ level: string; args: unknown[] }> = []
  const record =
    (level: string) =>
    (...args: unknown[]) =>
      entries.push({ level, args })
  const logger = {
    error: record('error'),
    warn: record('warn'),
    info: record('info'),
    debug: record('debug'),
    trace: record('trace'),
    fatal: record('fatal'),
  } as unknown as Logger
  return { logger, entries }
}

/**
 * A broadcast manager whose default "pusher" connection points at a Pusher
 * API stand-in on the given port, with its credentials
 */
export function pusherManager(
  port: number | string,
  logger: Logger,
  options: Partial<PusherConnectionConfig> = {}
) {
  return createManager(
    defineConfig({
      default: 'pusher',
      connections: {
        pusher: drivers.pusher({
          appId: PusherApiServer.APP_ID,
          key: PusherApiServer.KEY,
          secret: PusherApiServer.SECRET,
          host: '127.0.0.1',
          port,
          scheme: 'http',
          retry: { minDelayMs: 5, maxDelayMs: 20 },
          ...options,
        }),
      },
    }),
    logger
  )
}

/**
 * A started Pusher API stand-in and a broadcast manager pointing at it
 */
export async function pusherSetup(options: Partial<PusherConnectionConfig> = {}) {
  const server = await new PusherApiServer().start()
  const { logger, entries } = recordingLogger()
  const manager = await pusherManager(server.port, logger, options)
  return { server, manager, logs: entries }
}

/**
 * The local connection of a process whose embedded server serves nobody
 * (an ace command, a seeder), forwarding to the app at "publishTo"
 */
export async function commandProcess(port: number, onFailure: 'throw' | 'report' = 'throw') {
  const { logger, entries } = recordingLogger()
  const manager = await createManager(
    defineConfig({
      default: 'local',
      connections: {
        local: drivers.local({
          appId: PusherApiServer.APP_ID,
          key: PusherApiServer.KEY,
          secret: PusherApiServer.SECRET,
          publishTo: { host: '127.0.0.1', port },
          onFailure,
        }),
      },
    }),
    logger
  )
  return { manager, logger, logs: entries }
}
