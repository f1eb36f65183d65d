import { test } from '@japa/runner'
import { setTimeout as sleep } from 'node:timers/promises'
import { QueueManager, Worker, fixedBackoff } from '@adonisjs/queue'
import { redis } from '@boringnode/queue/drivers/redis_adapter'
import { BroadcastManager } from '../../../src/broadcast_manager.ts'
import { BroadcastEvent } from '../../../src/emitting/broadcast_event.ts'
import { Channel } from '../../../src/emitting/channels.ts'
import { defineConfig } from '../../../src/define_config.ts'
import { drivers, type PusherConnectionConfig } from '../../../src/connections.ts'
import { registerBroadcastJob } from '../../../src/emitting/queue/broadcast_job.ts'
import { appBroadcastQueue, assertQueue } from '../../../src/emitting/queue/broadcast_queue.ts'
import { packageApp, recordingLogger, resolveConfig } from '../../helpers/broadcast.ts'
import { PusherApiServer } from '../../helpers/pusher_api_server.ts'
import { startRedisServer, type RedisTestServer } from '../../helpers/redis_server.ts'

class Released extends BroadcastEvent {
  constructor(public version: string) {
    super()
  }
  broadcastOn() {
    return new Channel('releases')
  }
}

class QueuedRelease extends Released {
  broadcastQueue() {
    return 'broadcasts'
  }
}

class InlineRelease extends Released {
  broadcastQueue() {
    return false
  }
}

function pusherConfig(port: number, options: Partial<PusherConnectionConfig> = {}) {
  return defineConfig({
    default: 'pusher',
    connections: {
      pusher: drivers.pusher({
        appId: PusherApiServer.APP_ID,
        key: PusherApiServer.KEY,
        secret: PusherApiServer.SECRET,
        host: '127.0.0.1',
        port,
        scheme: 'http',
        // The queue retries, not the driver
        retry: { retries: 0 },
        ...options,
      }),
    },
  })
}

/**
 * Runs the worker until "done" holds, or fails after 10 s
 */
async function work(worker: Worker, queues: string[], done: () => boolean) {
  const deadline = Date.now() + 10_000
  while (!done()) {
    if (Date.now() > deadline) throw new Error('the worker did not finish in time')
    const cycle = await worker.processCycle(queues)
    if (cycle?.type === 'idle' || cycle?.type === 'error') await sleep(10)
  }
}

test.group('Queued broadcasting | @adonisjs/queue on Redis', (group) => {
  let redisServer: RedisTestServer
  let server: PusherApiServer
  let queueConfig: Parameters<typeof QueueManager.init>[0]

  group.setup(async () => {
    redisServer = await startRedisServer()
    queueConfig = {
      default: 'redis',
      adapters: { redis: redis({ host: '127.0.0.1', port: redisServer.port }) },
      retry: { maxRetries: 3, backoff: fixedBackoff(20) },
      worker: { idleDelay: 10, concurrency: 1 },
    }
    await QueueManager.init(queueConfig)
    return async () => {
      await QueueManager.destroy()
      await redisServer.stop()
    }
  })
  group.each.setup(async () => {
    server = await new PusherApiServer().start()
    return () => server.close()
  })

  async function setup(options: Partial<PusherConnectionConfig> = {}) {
    const { logger, entries } = recordingLogger()
    const managers: Array<BroadcastManager<any>> = []
    const queue = registerBroadcastJob(
      (connection, messages) => managers[0].driver(connection).send(messages),
      logger
    )
    const manager = new BroadcastManager(await resolveConfig(pusherConfig(server.port, options)), {
      logger,
      queue: async () => queue,
    })
    managers.push(manager)
    return { manager, logs: entries, worker: new Worker(queueConfig) }
  }

  test('a queued connection sends nothing inline; the worker sends it after retries', async ({
    assert,
  }) => {
    const { manager, worker } = await setup({ queue: 'broadcasts' })
    server.respondWith(500, 503)

    await manager.emit(new Released('2.0'))
    assert.lengthOf(server.requests, 0)

    await work(worker, ['broadcasts'], () => server.requests.length === 3)
    await worker.stop()
    assert.deepEqual(
      server.requests.map((request) => request.body.name),
      ['Released', 'Released', 'Released']
    )
    assert.equal(server.requests[2].body.data, '{"version":"2.0"}')
  }).timeout(15_000)

  test('the last failure is logged when retries run out', async ({ assert }) => {
    const { manager, worker, logs } = await setup({ queue: 'broadcasts' })
    server.respondWith(500, 500, 500, 500)

    await manager.emit(new Released('2.0'))
    await work(worker, ['broadcasts'], () =>
      logs.some((entry) => entry.args[1] === 'broadcast failed after the last retry')
    )
    await worker.stop()
    assert.lengthOf(server.requests, 4)
  }).timeout(15_000)

  test('broadcastQueue() on the event queues it; false and emitNow() send inline', async ({
    assert,
  }) => {
    const { manager, worker } = await setup()
    await manager.emit(new QueuedRelease('2.0'))
    assert.lengthOf(server.requests, 0)

    await manager.emit(new Released('2.1'))
    assert.lengthOf(server.requests, 1)

    await work(worker, ['broadcasts'], () => server.requests.length === 2)
    await worker.stop()

    const queued = await setup({ queue: true })
    await queued.manager.emitNow(new Released('2.2'))
    await queued.manager.emit(new InlineRelease('2.3'))
    assert.deepEqual(
      server.requests.map((request) => JSON.parse(request.body.data).version),
      ['2.1', '2.0', '2.2', '2.3']
    )
  }).timeout(15_000)

  test('broadcast.fake() records queued events without queuing them', async ({ assert }) => {
    const { manager, worker } = await setup({ queue: 'broadcasts' })
    const fake = manager.fake()
    await manager.emit(new Released('2.0'))
    fake.assertEmitted(Released)

    const cycle = await worker.processCycle(['broadcasts'])
    await worker.stop()
    assert.equal(cycle?.type, 'idle')
    assert.lengthOf(server.requests, 0)
  })
})

test.group('Queued broadcasting | without @adonisjs/queue', () => {
  test('a queued connection fails at boot, saying what to install', async ({ assert }) => {
    const app = await packageApp()
    const config = await resolveConfig(pusherConfig(1, { queue: true }), app)
    const queue = appBroadcastQueue(app, async () => {})

    await assert.rejects(
      () => assertQueue(app, async () => config, queue),
      'Queued broadcasting (the "queue" option of the "pusher" connection) needs @adonisjs/queue: run "node ace add @adonisjs/queue", or remove the queue option'
    )
  })

  test('no queued connection: boot goes on', async ({ assert }) => {
    const app = await packageApp()
    const config = await resolveConfig(pusherConfig(1), app)
    await assert.doesNotReject(() =>
      assertQueue(
        app,
        async () => config,
        appBroadcastQueue(app, async () => {})
      )
    )
  })

  test('an event asking for the queue fails at emit with the same message', async ({ assert }) => {
    const app = await packageApp()
    const { logger } = recordingLogger()
    const manager = new BroadcastManager(await resolveConfig(pusherConfig(1), app), {
      logger,
      queue: appBroadcastQueue(app, async () => {}),
    })
    await assert.rejects(
      () => manager.emit(new QueuedRelease('2.0')),
      /needs @adonisjs\/queue: run "node ace add @adonisjs\/queue"/
    )
  })
})
