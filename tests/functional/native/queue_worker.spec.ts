import { test } from '@japa/runner'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import PusherModule from 'pusher-js'
import env from '#start/env'
import { startAppProcess } from '../../helpers/app_process.ts'
import { AppSession } from '../../helpers/app_session.ts'
import { sleep, within } from '../../helpers/server_clients.ts'
import { startRedisServer } from '../../helpers/redis_server.ts'

// pusher-js ships ESM-style typings for a CommonJS module
const Pusher = PusherModule as unknown as typeof import('pusher-js').default

/**
 * "node ace queue:work", as an app runs it: @adonisjs/queue's command,
 * resolving "queue.manager" from the container
 */
function startWorker(environment: Record<string, string>) {
  const output: string[] = []
  const child = spawn(
    process.execPath,
    ['--conditions=adonisjs-broadcasting:source', 'ace.js', 'queue:work', '--queue=broadcasts'],
    {
      cwd: new URL('../../../', import.meta.url),
      env: { ...process.env, NODE_ENV: 'development', ...environment },
      stdio: ['ignore', 'pipe', 'pipe'],
    }
  )
  child.stdout.on('data', (chunk) => output.push(String(chunk)))
  child.stderr.on('data', (chunk) => output.push(String(chunk)))
  return {
    output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    },
  }
}

test.group('Queued broadcasting | the example app on Redis, with a queue:work process', () => {
  test('a release queued by a request is sent by the worker and reaches pusher-js', async ({
    assert,
    cleanup,
  }) => {
    const redis = await startRedisServer()
    cleanup(() => redis.stop())
    const environment = {
      LOG_LEVEL: 'warn',
      QUEUE_DRIVER: 'redis',
      BROADCAST_QUEUE: 'broadcasts',
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(redis.port),
    }
    // bin/demo.ts: migrated and seeded, then the app (its embedded server)
    const app = await startAppProcess(['--import=@poppinss/ts-exec', 'bin/demo.ts'], environment)
    cleanup(() => app.stop())

    const received: Array<{ event: string; data: any }> = []
    const pusher = new Pusher(env.get('PUSHER_APP_KEY'), {
      cluster: '',
      wsHost: '127.0.0.1',
      wsPort: app.port,
      forceTLS: false,
      enabledTransports: ['ws'],
    })
    cleanup(() => pusher.disconnect())
    const channel = pusher.subscribe('releases')
    channel.bind_global((event: string, data: unknown) => {
      if (!event.startsWith('pusher')) received.push({ event, data })
    })
    await within(
      new Promise((resolve) => channel.bind('pusher:subscription_succeeded', resolve)),
      'the subscription to "releases"',
      10_000
    )

    const admin = await AppSession.login('admin@example.com', app.url)
    const response = await admin.request('POST', '/releases', {
      version: '4.0.0',
      message: 'Queued',
    })
    assert.equal(response.status, 200)

    // The request only pushed a job: nothing goes out until a worker runs
    await sleep(500)
    assert.deepEqual(received, [])

    // The worker publishes through the running app ("publishTo", config/broadcast.ts)
    const worker = startWorker({ ...environment, HOST: '127.0.0.1', PORT: String(app.port) })
    cleanup(() => worker.stop())
    const deadline = Date.now() + 45_000
    while (received.length < 2) {
      if (Date.now() > deadline) {
        throw new Error(
          `the worker sent ${received.length} of 2 events:\n${worker.output.join('')}`
        )
      }
      await sleep(50)
    }

    assert.sameMembers(
      received.map(({ event }) => event),
      ['NewRelease', 'ReleaseCreated']
    )
    assert.deepEqual(received.find(({ event }) => event === 'NewRelease')?.data, {
      version: '4.0.0',
      message: 'Queued',
    })
  }).timeout(120_000)
})
