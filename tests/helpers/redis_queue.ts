import { setTimeout as sleep } from 'node:timers/promises'
import app from '@adonisjs/core/services/app'
import { QueueManager, Worker } from '@adonisjs/queue'
import { redis } from '@boringnode/queue/drivers/redis_adapter'
import { startRedisServer } from './redis_server.ts'

/**
 * @adonisjs/queue on a Redis of its own for the booted test app, which has
 * no queue provider (adonisrc.ts): a queued broadcast waits in Redis for
 * the worker the test runs, after the request. "queue.manager" stays bound
 * for the rest of the run (the container cannot unbind); "restore()"
 * destroys the queue, so a later queued broadcast fails the queue's way
 * rather than with E_QUEUE_NOT_INSTALLED.
 */
export async function useRedisQueue() {
  const server = await startRedisServer()
  const config = {
    default: 'redis',
    adapters: { redis: redis({ host: '127.0.0.1', port: server.port }) },
    worker: { idleDelay: 10, concurrency: 1 },
    autoLoadJobs: false,
  }
  await QueueManager.init(config)
  app.container.bindValue('queue.manager' as any, QueueManager)
  const worker = new Worker(config)

  return {
    /**
     * Runs the worker until "done" holds, or fails after 10 s
     */
    async work(queues: string[], done: () => boolean) {
      const deadline = Date.now() + 10_000
      while (!done()) {
        if (Date.now() > deadline) throw new Error('the worker did not finish in time')
        const cycle = await worker.processCycle(queues)
        if (cycle?.type === 'idle' || cycle?.type === 'error') await sleep(10)
      }
    },

    async restore() {
      await worker.stop()
      await QueueManager.destroy()
      await server.stop()
    },
  }
}
