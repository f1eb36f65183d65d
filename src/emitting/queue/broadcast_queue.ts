import type { ApplicationService } from '@adonisjs/core/types'
import { E_QUEUE_NOT_INSTALLED } from '../../errors.ts'
import type { Broadcastable } from '../broadcast_event.ts'
import type { BroadcastMessage } from '../../drivers/types.ts'
import type { ConnectionOptions } from '../connection_options.ts'
import type { BroadcastQueue } from './types.ts'

/**
 * The queue an event goes through, or undefined to send now: the event's
 * "broadcastQueue()" decides, else the connection's "queue" option.
 * "true" means the queue's default one.
 */
export function queueOf(
  event: Broadcastable | undefined,
  connectionQueue: ConnectionOptions['queue']
): string | true | undefined {
  const choice =
    event && typeof event.broadcastQueue === 'function' ? event.broadcastQueue() : connectionQueue
  if (choice === true) return true
  return typeof choice === 'string' && choice !== '' ? choice : undefined
}

/**
 * The app's broadcast queue, created once: the job is registered with the
 * queue's job locator, so a worker process can run it too. Throws
 * E_QUEUE_NOT_INSTALLED without "@adonisjs/queue".
 */
export function appBroadcastQueue(
  app: ApplicationService,
  send: (connection: string, messages: BroadcastMessage[]) => Promise<void>
) {
  let queue: Promise<BroadcastQueue> | undefined
  return (what = 'a queued event') => {
    if (!app.container.hasBinding('queue.manager' as any)) {
      return Promise.reject(new E_QUEUE_NOT_INSTALLED([what]))
    }
    queue ??= (async () => {
      // The queue's provider initializes it on boot; make sure it has
      await app.container.make('queue.manager' as any)
      const [{ registerBroadcastJob }, logger] = await Promise.all([
        import('./broadcast_job.ts'),
        app.container.make('logger'),
      ])
      return registerBroadcastJob(send, logger)
    })()
    return queue
  }
}

/**
 * At boot: a connection with the "queue" option fails without
 * "@adonisjs/queue"; with it, the job is registered so this process (a
 * worker, say) can run it. An invalid config is left for the service to
 * report when used, as before.
 */
export async function assertQueue(
  app: ApplicationService,
  config: () => Promise<{ connections: Record<string, { options: ConnectionOptions }> }>,
  queue: (what?: string) => Promise<BroadcastQueue>
) {
  if (app.container.hasBinding('queue.manager' as any)) {
    await queue()
    return
  }
  const resolved = await config().catch(() => null)
  const queued = Object.entries(resolved?.connections ?? {}).find(
    ([, connection]) => queueOf(undefined, connection.options.queue) !== undefined
  )
  if (queued) {
    await queue(`the "queue" option of the "${queued[0]}" connection`)
  }
}
