import type { Server } from 'node:http'
import type { ApplicationService } from '@adonisjs/core/types'
import type { BroadcastDriver } from './types.ts'

/**
 * A driver able to serve clients on the app's own HTTP server
 */
export interface AttachableDriver extends BroadcastDriver {
  attach(server: Server): void
  close(): Promise<void>
}

export function isAttachable(driver: BroadcastDriver): driver is AttachableDriver {
  return typeof (driver as Partial<AttachableDriver>).attach === 'function'
}

/**
 * Attaches the default connection's embedded server, when its driver has
 * one, to the AdonisJS HTTP server's Node server. Returns a function that
 * closes it (sockets get 4200), which must run before the Node server is
 * closed: open WebSockets would otherwise keep "server.close()" waiting.
 *
 * @example
 * // tests/bootstrap.ts
 * const close = await testUtils.httpServer().start()
 * const detach = await attachBroadcastServer(app)
 * return async () => { await detach(); await close() }
 */
export async function attachBroadcastServer(app: ApplicationService) {
  if (!app.container.hasBinding('broadcast')) return async () => {}
  const broadcast = await app.container.make('broadcast')
  const driver = broadcast.driver()
  if (!isAttachable(driver)) return async () => {}

  const server = await app.container.make('server')
  const nodeServer = server.getNodeServer()
  if (!nodeServer) return async () => {}
  driver.attach(nodeServer as Server)
  return () => driver.close()
}
