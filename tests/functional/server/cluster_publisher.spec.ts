import { randomUUID } from 'node:crypto'
import { test } from '@japa/runner'
import { Redis } from 'ioredis'
import PusherSdk from 'pusher'
import { WebSocket } from 'ws'
import { LocalDriver } from '../../../src/drivers/local.ts'
import { adapters } from '../../../src/adapters.ts'
import { BroadcastFailedException } from '../../../src/errors.ts'
import { createRedisAdapter } from '../../../packages/engine/src/cluster/redis_adapter.ts'
import type { ClusterFactory } from '../../../packages/engine/src/cluster/cluster.ts'
import { RawClient, sleep, within } from '../../helpers/server_clients.ts'
import { startRedisServer, type RedisTestServer } from '../../helpers/redis_server.ts'

const CREDENTIALS = { appId: 'pub', key: 'pub-key', secret: 'pub-secret' }

/**
 * A serving node on a free port and a driver of the same cluster that
 * never listens (an ace command, a queue worker), over one Redis
 */
async function cluster(redis: RedisTestServer) {
  const connection = new Redis(redis.url, { lazyConnect: true })
  const prefix = `test-${randomUUID()}:`
  const factory: ClusterFactory = Object.assign(
    (nodeId: string) => createRedisAdapter(connection, { nodeId, prefix }),
    { shared: true }
  )
  const node = new LocalDriver({ ...CREDENTIALS, cluster: factory })
  const { port } = await node.listen(0, '127.0.0.1')
  const worker = new LocalDriver({ ...CREDENTIALS, cluster: factory })
  const subscribe = async (channel: string) => {
    const client = await RawClient.open(new WebSocket(`ws://127.0.0.1:${port}/app/pub-key`))
    client.send({ event: 'pusher:subscribe', data: { channel } })
    await client.next((f) => f.event === 'pusher_internal:subscription_succeeded')
    return client
  }
  return {
    connection,
    prefix,
    factory,
    port,
    node,
    worker,
    subscribe,
    async close() {
      await Promise.all([node.close(), worker.close()])
      connection.disconnect()
    },
  }
}

test.group('Local driver | a process that serves no clients, over Redis', (group) => {
  let redis: RedisTestServer
  group.setup(async () => {
    redis = await startRedisServer()
    return () => redis.stop()
  })

  test('the Redis adapter is shared across processes, the memory one is not', ({ assert }) => {
    assert.isTrue(adapters.redis().shared)
    assert.notOk(adapters.memory().shared)
  })

  test('its events reach a subscriber of another node, without registering as a node', async ({
    assert,
    cleanup,
  }) => {
    const made = await cluster(redis)
    cleanup(() => made.close())
    const client = await made.subscribe('news')
    cleanup(() => client.ws.terminate())

    await made.worker.send([{ channels: ['news'], event: 'Hello', data: '{"n":1}' }])
    const frame = await client.next((f) => f.event === 'Hello')
    assert.deepEqual(frame.data, { n: 1 })
    assert.isFalse(made.worker.server.serving)

    // Not a node: nothing to heartbeat, count or reap
    const raw = new Redis(redis.url)
    cleanup(() => raw.disconnect())
    assert.deepEqual(await raw.smembers(`${made.prefix}nodes`), [made.node.server.nodeId!])
    const stats = await made.node.server.state.channel('news')
    assert.equal(stats.subscriptionCount, 1)
  })

  test('"to others" goes through the bus too', async ({ assert, cleanup }) => {
    const made = await cluster(redis)
    cleanup(() => made.close())
    const excluded = await made.subscribe('news')
    const other = await made.subscribe('news')
    cleanup(() => [excluded, other].forEach((client) => client.ws.terminate()))

    await made.worker.send([
      { channels: ['news'], event: 'First', data: '{}', socketId: excluded.socketId },
      { channels: ['news'], event: 'Second', data: '{}' },
    ])
    await other.next((f) => f.event === 'Second')
    await excluded.next((f) => f.event === 'Second')
    assert.lengthOf(other.of('First'), 1)
    assert.lengthOf(excluded.of('First'), 0)
  })

  test('events to a user and closing its connections go through the bus', async ({
    assert,
    cleanup,
  }) => {
    const made = await cluster(redis)
    cleanup(() => made.close())
    const client = await RawClient.open(new WebSocket(`ws://127.0.0.1:${made.port}/app/pub-key`))
    cleanup(() => client.ws.terminate())
    const signer = new PusherSdk({ ...CREDENTIALS, host: '127.0.0.1', port: String(made.port) })
    client.send({
      event: 'pusher:signin',
      data: signer.authenticateUser(client.socketId, { id: '7' }),
    })
    await client.next((f) => f.event === 'pusher:signin_success')
    // As pusher-js does after signing in
    client.send({ event: 'pusher:subscribe', data: { channel: '#server-to-user-7' } })
    await client.next((f) => f.event === 'pusher_internal:subscription_succeeded')

    await made.worker.toUser(7, 'Ping', { n: 1 })
    const frame = await client.next((f) => f.event === 'Ping')
    assert.deepEqual(frame.data, { n: 1 })
    await made.worker.terminateUserConnections(7)
    assert.equal(await client.closed(), 4009)
  })

  test('a cache-channel event it sends is served to a later subscriber', async ({
    assert,
    cleanup,
  }) => {
    const made = await cluster(redis)
    cleanup(() => made.close())
    await made.worker.send([{ channels: ['cache-prices'], event: 'Price', data: '{"eur":3}' }])

    const client = await made.subscribe('cache-prices')
    cleanup(() => client.ws.terminate())
    const frame = await client.next((f) => f.event === 'Price')
    assert.deepEqual(frame.data, { eur: 3 })
  })

  test('with Redis down it rejects with BroadcastFailedException', async ({ assert, cleanup }) => {
    const own = await startRedisServer()
    cleanup(() => own.stop())
    const made = await cluster(own)
    cleanup(() => made.close())
    const fresh = new LocalDriver({ ...CREDENTIALS, cluster: made.factory })
    cleanup(() => fresh.close())
    await made.worker.send([{ channels: ['news'], event: 'Up', data: '{}' }])

    await own.stop()
    // A publish in flight when Redis dies waits for ioredis's retries: let the close arrive first
    await sleep(200)
    const down = [{ channels: ['news', 'cache-news'], event: 'Down', data: '{}' }]
    for (const driver of [made.worker, fresh]) {
      const error = await within(
        driver.send(down).catch((caught) => caught),
        'the send to fail'
      )
      assert.instanceOf(error, BroadcastFailedException)
      assert.match(error.message, /did not reach the cluster.*Redis/)
      assert.deepEqual(error.channels, ['news', 'cache-news'])
    }
  })
})
