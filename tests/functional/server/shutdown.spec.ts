import { request } from 'node:http'
import { test } from '@japa/runner'
import { WebSocket } from 'ws'
import env from '#start/env'
import { startAppProcess } from '../../helpers/app_process.ts'
import { RawClient, within } from '../../helpers/server_clients.ts'
import { signedQuery, stalledUpload } from '../../helpers/http_api_requests.ts'
import { recordingLogger } from '../../helpers/broadcast.ts'
import { LocalDriver } from '../../../src/drivers/local.ts'
import { memoryCluster } from '../../../packages/engine/src/cluster/cluster.ts'
import { TestCluster } from '../../helpers/test_cluster.ts'
import { startRedisServer } from '../../helpers/redis_server.ts'

test.group('Embedded server | shutdown', () => {
  test('SIGTERM with stalled uploads in flight: the app exits in bounded time', async ({
    assert,
    cleanup,
  }) => {
    const app = await startAppProcess(['--import=@poppinss/ts-exec', 'bin/server.ts'], {
      LOG_LEVEL: 'warn',
    })
    cleanup(() => {
      if (app.child.exitCode === null) app.child.kill('SIGKILL')
    })
    const credentials = {
      key: env.get('PUSHER_APP_KEY'),
      secret: env.get('PUSHER_APP_SECRET').release(),
    }
    const socket = await RawClient.open(
      new WebSocket(`ws://127.0.0.1:${app.port}/app/${credentials.key}`)
    )

    // A signed HTTP API upload and an app route's upload, both stalled
    const path = `/apps/${env.get('PUSHER_APP_ID')}/events`
    const body = JSON.stringify({ name: 'Never', data: '{}', channels: ['news'] })
    const api = stalledUpload(
      app.port,
      `${path}?${signedQuery(credentials, 'POST', path, body)}`,
      body.length,
      body.slice(0, 5)
    )
    const appRoute = stalledUpload(app.port, '/login', 100_000, 'email=')
    cleanup(() => [api, appRoute].forEach((upload) => upload.abort()))
    await new Promise((resolve) => setTimeout(resolve, 300))

    const signalledAt = Date.now()
    const exited = new Promise<number>((resolve) =>
      app.child.once('exit', () => resolve(Date.now() - signalledAt))
    )
    app.child.kill('SIGTERM')

    assert.equal(await socket.closed(3000), 4200)
    const exitAfter = await within(exited, 'the app to exit', 10_000)
    assert.isBelow(exitAfter, 10_000, app.output.join(''))
    // The API upload was answered, not left hanging
    const answer = await within(api.answer, 'the API upload to be answered', 100)
    assert.equal(answer.status, 503)
  }).timeout(60_000)
})

test.group('Embedded server | close() called twice', () => {
  test('two concurrent close() calls with subscribed clients both resolve; nothing fails', async ({
    assert,
    cleanup,
  }) => {
    const { logger, entries } = recordingLogger()
    const driver = new LocalDriver({
      appId: 'twice',
      key: 'twice-key',
      secret: 'twice-secret',
      logger,
      // A lifecycle listener keeps the leaves of the closing sockets busy
      onLifecycleEvent: () => {},
    })
    const { port } = await driver.listen(0, '127.0.0.1')
    cleanup(() => driver.close())

    const clients = await Promise.all(
      Array.from({ length: 4 }, () =>
        RawClient.open(new WebSocket(`ws://127.0.0.1:${port}/app/twice-key`))
      )
    )
    for (const [index, client] of clients.entries()) {
      client.send({ event: 'pusher:subscribe', data: { channel: `news-${index % 2}` } })
      await client.next((frame) => frame.event === 'pusher_internal:subscription_succeeded')
    }

    // As "broadcast:serve" on SIGTERM: the command and the app's shutdown
    const first = driver.close()
    const second = driver.close()
    const third = driver.server.close()
    const outcomes = await within(
      Promise.allSettled([first, second, third]),
      'both closes to settle',
      5000
    )

    assert.deepEqual(
      outcomes.map((outcome) => outcome.status),
      ['fulfilled', 'fulfilled', 'fulfilled'],
      JSON.stringify(outcomes.map((outcome) => (outcome as PromiseRejectedResult).reason?.message))
    )
    assert.deepEqual(
      entries.filter((entry) => entry.level === 'error' || entry.level === 'fatal'),
      []
    )
    for (const client of clients) assert.equal(await client.closed(), 4200)
    assert.isFalse(driver.server.serving)

    // Closed: another close is a no-op, and the server can listen again
    await driver.close()
    const again = await driver.listen(0, '127.0.0.1')
    const client = await RawClient.open(new WebSocket(`ws://127.0.0.1:${again.port}/app/twice-key`))
    assert.equal(client.frames[0].event, 'pusher:connection_established')
    client.ws.close()
  })
})

test.group('Embedded server | draining (rolling deploys)', () => {
  test('a closing node refuses new sockets with 4200 over the WebSocket and serves the HTTP API until it leaves', async ({
    assert,
    cleanup,
  }) => {
    // Two nodes sharing a cluster: the closing one holds its leaves 1 s
    const cluster = new TestCluster()
    cleanup(() => cluster.close())
    const shared = () =>
      Object.assign(memoryCluster({ hub: cluster.hub, store: cluster.store }), { shared: true })
    const closing = await cluster.addNode({ cluster: shared(), leaveEventDelay: 1 })
    const other = await cluster.addNode({ cluster: shared(), leaveEventDelay: 1 })
    const member = await cluster.raw(closing)
    await cluster.subscribe(member, closing, 'presence-room', { user_id: 'leaving' })
    const listener = await cluster.raw(other)
    await cluster.subscribe(listener, other, 'news')

    const closed = closing.server.close()
    assert.equal(await member.closed(), 4200)
    assert.isFalse(closing.server.stats().serving)

    // Draining: a client sent here is told to reconnect (pusher-js does at
    // once), not answered 404 by the HTTP server (pusher-js waits 15 s)
    const late = await cluster.raw(closing)
    assert.deepInclude(late.frames[0], {
      event: 'pusher:error',
      data: { code: 4200, message: 'Server shutting down' },
    })
    assert.equal(await late.closed(), 4200)

    // ... and an event sent to its HTTP API still reaches the other node
    await closing.sdk.trigger('news', 'WhileDraining', { n: 1 })
    assert.deepEqual((await listener.next((f) => f.event === 'WhileDraining')).data, { n: 1 })

    await within(closed, 'the close', 5000)
    // Its member left once the delay was over, before the node did
    assert.equal((await other.server.state.members('presence-room')).size, 0)
  })
})

/**
 * One signed publish on a connection of its own: the status, or the error
 * code when there was no answer
 */
function publishOnce(port: number, credentials: { key: string; secret: string }) {
  const path = `/apps/${env.get('PUSHER_APP_ID')}/events`
  const body = JSON.stringify({ name: 'Storm', data: '{}', channels: ['storm'] })
  return new Promise<number | string>((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: `${path}?${signedQuery(credentials, 'POST', path, body)}`,
        agent: false,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode!))
      }
    )
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
    req.end(body)
  })
}

test.group('Embedded server | SIGTERM of an app process on Redis', () => {
  test('HTTP API requests through the whole shutdown: answered 200 until the port closes, never by a node that left', async ({
    assert,
    cleanup,
  }) => {
    const redis = await startRedisServer()
    cleanup(() => redis.stop())
    const app = await startAppProcess(['--import=@poppinss/ts-exec', 'bin/server.ts'], {
      LOG_LEVEL: 'warn',
      BROADCAST_ADAPTER: 'redis',
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(redis.port),
      REDIS_PASSWORD: '',
    })
    cleanup(() => app.stop())
    const credentials = {
      key: env.get('PUSHER_APP_KEY'),
      secret: env.get('PUSHER_APP_SECRET').release(),
    }

    // Requests back to back on 8 connections, until the port refuses them
    const outcomes: Array<{ outcome: number | string; afterSignal: boolean }> = []
    let signalled = false
    const storm = Array.from({ length: 8 }, async () => {
      for (;;) {
        const outcome = await publishOnce(app.port, credentials)
        outcomes.push({ outcome, afterSignal: signalled })
        if (outcome === 'ECONNREFUSED') return
      }
    })
    await new Promise((resolve) => setTimeout(resolve, 200))
    signalled = true
    app.child.kill('SIGTERM')
    await within(Promise.all(storm), 'the port to refuse connections', 15_000)

    /**
     * Never an answer of a node that left the cluster (the app's 404, a
     * 500 or 503 of the HTTP API). A connection that the kernel or Node
     * took just as the port closed is reset, as with any server.
     */
    const answers = outcomes.filter(({ outcome }) => typeof outcome === 'number')
    assert.deepEqual([...new Set(answers.map(({ outcome }) => outcome))], [200])
    const errors = outcomes.filter(({ outcome }) => typeof outcome !== 'number')
    assert.includeMembers(
      ['ECONNREFUSED', 'ECONNRESET'],
      [...new Set(errors.map((o) => o.outcome))]
    )
    assert.isAbove(outcomes.filter((o) => o.afterSignal && o.outcome === 200).length, 0)
  }).timeout(60_000)
})
