import app from '@adonisjs/core/services/app'
import type { Logger } from '@adonisjs/core/logger'
import { BroadcastManager } from '../../src/broadcast_manager.ts'
import { defineConfig, drivers, type PusherConnectionConfig } from '../../src/define_config.ts'
import { PusherApiServer } from './pusher_api_server.ts'

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
  return new BroadcastManager(
    app,
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
  const manager = pusherManager(server.port, logger, options)
  return { server, manager, logs: entries }
}
