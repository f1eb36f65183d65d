import { randomUUID } from 'node:crypto'
import { test } from '@japa/runner'
import { Redis } from 'ioredis'
import { LocalDriver } from '../../../src/drivers/local.ts'
import { createRedisAdapter } from '../../../packages/engine/src/cluster/redis_adapter.ts'
import { PolicyService } from '../../../src/policies/policy_service.ts'
import { BroadcastCheck } from '../../../src/health/broadcast_check.ts'
import { startRedisServer, type RedisTestServer } from '../../helpers/redis_server.ts'
import { recordingLogger } from '../../helpers/broadcast.ts'
import { broadcastService, HOST, port, sleep } from '../../helpers/server_clients.ts'
import { docsNginxExample, startNginx, type NginxTestServer } from '../../helpers/nginx.ts'

const APP = { appId: 'health', key: 'health-key', secret: 'health-secret' }

/**
 * A local driver whose cluster is the Redis of "redis"
 */
function redisDriver(redis: RedisTestServer) {
  const connection = new Redis(redis.url, { lazyConnect: true })
  const prefix = `health-${randomUUID()}:`
  const driver = new LocalDriver({
    ...APP,
    cluster: Object.assign((nodeId: string) => createRedisAdapter(connection, { nodeId, prefix }), {
      shared: true,
    }),
  })
  return { driver, close: async () => (await driver.close(), connection.disconnect()) }
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) return false
    await sleep(25)
  }
  return true
}

test.group('Health | BroadcastCheck with the Redis adapter', (group) => {
  let redis: RedisTestServer
  group.setup(async () => {
    redis = await startRedisServer()
    return () => redis.stop()
  })

  test('ok while serving over Redis; error once Redis is stopped; ok again after it is back', async ({
    assert,
    cleanup,
  }) => {
    const { driver, close } = redisDriver(redis)
    cleanup(close)
    const check = new BroadcastCheck({ driver: () => driver })

    assert.equal((await check.run()).status, 'error')
    assert.include((await check.run()).message, 'not serving')

    await driver.listen(0, '127.0.0.1')
    const healthy = await check.run()
    assert.equal(healthy.status, 'ok', healthy.message)
    assert.deepInclude(healthy.meta!.server, { serving: true, busConnected: true })

    await redis.stop()
    assert.isTrue(await eventually(async () => (await check.run()).status === 'error'))
    const down = await check.run()
    assert.include(down.message, 'Redis adapter is disconnected')
    assert.deepInclude(down.meta!.server, { busConnected: false })

    await redis.restart()
    assert.isTrue(await eventually(async () => (await check.run()).status === 'ok', 8000))
  })
})

test.group('Health | BroadcastCheck policies and webhooks', () => {
  test('policies that fail to load are an error naming the file; a failed reload a warning', async ({
    assert,
    fs,
  }) => {
    await fs.create('policies/channels.yaml', 'channels:\n  private-a:\n    allow: user.role ==\n')
    const policies = new PolicyService(
      { path: fs.basePath + '/policies', watch: false, predicates: {} },
      recordingLogger().logger
    )
    const check = new BroadcastCheck({
      driver: () => ({ send: async () => {} }),
      policies,
    })

    const broken = await check.run()
    assert.equal(broken.status, 'error')
    assert.include(broken.message, 'not loaded')
    assert.include(broken.message, 'channels.yaml')
    assert.include(broken.meta!.policies.lastError.file, 'channels.yaml')

    await fs.create(
      'policies/channels.yaml',
      "channels:\n  private-a:\n    allow: user.role == 'a'\n"
    )
    assert.equal((await check.run()).status, 'ok')

    // A watched edit that breaks: the previous policies still apply
    policies.watch()
    await sleep(200)
    await fs.create('policies/channels.yaml', 'channels:\n  private-a: [\n')
    assert.isTrue(await eventually(async () => (await check.run()).status === 'warning'))
    assert.include((await check.run()).message, 'channels.yaml')
    policies.close()
  })

  test('a full webhook queue is a warning', async ({ assert, cleanup }) => {
    const driver = new LocalDriver({
      ...APP,
      // Nothing listens there: events stay queued
      webhooks: [{ url: 'http://127.0.0.1:9/hooks' }],
    })
    cleanup(() => driver.close())
    await driver.listen(0, '127.0.0.1')
    const check = new BroadcastCheck({ driver: () => driver })
    assert.equal((await check.run()).status, 'ok')

    // Past the default "maxQueued" of 10 000 waiting events, besides a batch in flight
    for (let i = 0; i < 10_300; i++) {
      driver.server.lifecycle.clientEvent({
        channel: 'private-a',
        event: 'client-x',
        data: '{}',
        socket_id: '1.1',
      })
    }
    const result = await check.run()
    assert.equal(result.status, 'warning')
    assert.include(result.message, 'webhook queue is full for http://127.0.0.1:9/hooks')
  })

  test('the example app is healthy: its embedded server serves and its policies are loaded', async ({
    assert,
  }) => {
    const result = await new BroadcastCheck(await broadcastService()).run()
    assert.equal(result.status, 'ok', result.message)
  })
})

test.group('Health | GET /health of the example app', (group) => {
  let nginx: NginxTestServer
  group.setup(async () => {
    nginx = await startNginx((listen) => docsNginxExample(port(), listen))
    return () => nginx.stop()
  })

  const direct = (path: string, headers: Record<string, string> = {}) =>
    fetch(`http://${HOST}:${port()}${path}`, { headers })

  test('reports the broadcast check among the others', async ({ client, assert }) => {
    const response = await client.get('/health')
    response.assertStatus(200)
    const check = response.body().checks.find((c: any) => c.name === 'Broadcast check')
    assert.equal(check.status, 'ok')
    assert.isTrue(check.meta.server.serving)
    assert.isTrue(check.meta.policies.loaded)
  })

  test('a heap over the MemoryHeapCheck threshold takes no probe to 503', async ({
    assert,
    cleanup,
  }) => {
    /**
     * What 200 000 public subscriptions of a guest left on an idle node
     * until a major GC (418 MB); read where the heap check reads it
     */
    const memoryUsage = process.memoryUsage
    cleanup(() => void (process.memoryUsage = memoryUsage))
    process.memoryUsage = Object.assign(() => ({ ...memoryUsage(), heapUsed: 418 * 1024 * 1024 }), {
      rss: memoryUsage.rss,
    })

    const report = await direct('/health')
    assert.equal(report.status, 200)
    const heap = ((await report.json()) as any).checks.find(
      (c: any) => c.name === 'Memory heap check'
    )
    assert.equal(heap.status, 'warning')
    assert.include(heap.message, 'Heap usage is')

    const live = await direct('/health/live')
    assert.equal(live.status, 200)
    assert.deepEqual(await live.json(), { isHealthy: true, status: 'ok' })

    const ready = await direct('/health/ready')
    assert.equal(ready.status, 200)
    const readiness = (await ready.json()) as any
    assert.deepEqual(
      readiness.checks.map((check: any) => check.name),
      ['Broadcast check']
    )
  })

  test('through the proxy, or claiming to be, the status only: no pid, version, heap or node', async ({
    assert,
  }) => {
    const detailed = (await (await direct('/health')).json()) as any
    assert.properties(detailed, ['debugInfo', 'checks'])
    assert.properties(detailed.debugInfo, ['pid', 'version'])

    for (const path of ['/health', '/health/ready', '/health/live']) {
      const proxied = await fetch(`${nginx.url}${path}`)
      assert.equal(proxied.status, 200, path)
      assert.deepEqual(await proxied.json(), { isHealthy: true, status: 'ok' }, path)

      const claimed = await direct(path, { 'X-Forwarded-For': '203.0.113.7' })
      assert.equal(claimed.status, 200, path)
      assert.deepEqual(await claimed.json(), { isHealthy: true, status: 'ok' }, path)
    }
  })
})
