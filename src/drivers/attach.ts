import type { Server } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ApplicationService } from '@adonisjs/core/types'
import type { BroadcastDriver } from './types.ts'

/**
 * A driver able to serve clients on the app's own HTTP server
 */
export interface AttachableDriver extends BroadcastDriver {
  attach(server: Server): void
  close(options?: { drained?: () => Promise<void> }): Promise<void>
}

export function isAttachable(driver: BroadcastDriver): driver is AttachableDriver {
  return typeof (driver as Partial<AttachableDriver>).attach === 'function'
}

/**
 * How long a terminating app waits for the requests it accepted before the
 * node leaves the cluster: they take milliseconds; a stalled upload is
 * answered 503 afterwards
 */
const ACCEPTED_REQUESTS_WAIT_MS = 1000

/**
 * Attaches the default connection's embedded server, when its driver has
 * one, to the AdonisJS HTTP server's Node server. Returns a function that
 * closes it (sockets get 4200), which must run before the Node server is
 * closed: open WebSockets would otherwise keep "server.close()" waiting.
 *
 * With "terminating" (the provider's hook when the app stops), the Node
 * server stops taking connections once the sockets are closed and their
 * leaves settled, and the node leaves the cluster after the requests it
 * had accepted are answered. Until then it serves: a load balancer that
 * still sends requests to a draining node gets them answered, then a
 * refused connection it retries on another node, never a 404 from a node
 * that already left.
 *
 * @example
 * // tests/bootstrap.ts
 * const close = await testUtils.httpServer().start()
 * const detach = await attachBroadcastServer(app)
 * return async () => { await detach(); await close() }
 */
export async function attachBroadcastServer(app: ApplicationService) {
  const none = async (_options?: { terminating?: boolean }) => {}
  if (!app.container.hasBinding('broadcast')) return none
  const broadcast = await app.container.make('broadcast')
  const driver = broadcast.driver()
  if (!isAttachable(driver)) return none

  const server = await app.container.make('server')
  const nodeServer = server.getNodeServer() as Server | undefined
  if (!nodeServer) return none
  driver.attach(nodeServer)
  return (options: { terminating?: boolean } = {}) =>
    driver.close(options.terminating ? { drained: () => stopAccepting(nodeServer) } : {})
}

/**
 * Stops listening (AdonisJS closes the server right after; closing twice
 * is harmless) and waits, boundedly, until the connections that were
 * accepted are answered and gone
 */
async function stopAccepting(server: Server) {
  if (server.listening) server.close()
  const deadline = Date.now() + ACCEPTED_REQUESTS_WAIT_MS
  while (Date.now() < deadline) {
    server.closeIdleConnections()
    const open = await new Promise<number>((resolve) =>
      server.getConnections((error, count) => resolve(error ? 0 : count))
    )
    if (open === 0) return
    await sleep(10)
  }
}
