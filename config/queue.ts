import env from '#start/env'
import { defineConfig, drivers, exponentialBackoff } from '@adonisjs/queue'

/**
 * "sync" runs a job at once, in the process that dispatched it. With
 * QUEUE_DRIVER=redis (the Redis of "config/redis.ts") a worker runs it:
 * "node ace queue:work --queue=broadcasts" sends the events queued with
 * BROADCAST_QUEUE=broadcasts.
 */
const driver = env.get('QUEUE_DRIVER', 'sync')

export default defineConfig({
  default: driver,

  adapters: {
    /**
     * Only when chosen: its Redis connection would dial at every boot
     */
    ...(driver === 'redis' ? { redis: drivers.redis({ connectionName: 'main' }) } : {}),
    sync: drivers.sync(),
  },

  /**
   * A broadcast that fails is tried again: the Pusher server may be
   * restarting. After the last try the failure is logged.
   */
  queues: {
    broadcasts: { retry: { maxRetries: 5, backoff: exponentialBackoff({ baseDelay: '1s' }) } },
  },

  worker: {
    concurrency: 5,
    idleDelay: '2s',
  },

  /**
   * The broadcasting package registers its job itself
   */
  locations: [],
})
