import { randomUUID } from 'node:crypto'
import { test } from '@japa/runner'
import { Redis } from 'ioredis'
import type { WebSocket } from 'ws'
import { createRedisAdapter } from '../../../packages/engine/src/cluster/redis_adapter.ts'
import { memoryCluster, type ClusterFactory } from '../../../packages/engine/src/cluster/cluster.ts'
import type { Bus } from '../../../packages/engine/src/bus/bus.ts'
import { type BusInterest } from '../../../packages/engine/src/bus/bus_interest.ts'
import { TestCluster } from '../../helpers/test_cluster.ts'
import { startRedisServer, type RedisTestServer } from '../../helpers/redis_server.ts'
import { startLatencyProxy, type LatencyProxy } from '../../helpers/latency_proxy.ts'

/**
 * A cluster factory that keeps the buses it makes, to read their interest
 */
function keepingBuses(factory: ClusterFactory) {
  const buses: Bus[] = []
  const kept: ClusterFactory = async (nodeId, limits) => {
    const made = await factory(nodeId, limits)
    buses.push(made.bus)
    return made
  }
  return { buses, factory: Object.assign(kept, { shared: factory.shared }) }
}

const interestOf = (bus: Bus) => bus.interest as BusInterest

/**
 * Frames in one TCP write, as a page sends them when it subscribes in one go
 */
function inOneWrite(ws: WebSocket, frames: unknown[]) {
  const socket = (ws as unknown as { _socket: import('node:net').Socket })._socket
  socket.cork()
  for (const frame of frames) ws.send(JSON.stringify(frame))
  socket.uncork()
}

test.group('Cluster routing (Redis) | a node receives what it serves', (group) => {
  let redis: RedisTestServer
  let proxy: LatencyProxy
  let direct: Redis
  let slow: Redis
  let prefix: string
  let cluster: TestCluster

  group.setup(async () => {
    redis = await startRedisServer()
    proxy = await startLatencyProxy(redis.port, 30)
    direct = new Redis(redis.url, { lazyConnect: true })
    slow = new Redis({ port: proxy.port, host: '127.0.0.1', lazyConnect: true })
    return async () => {
      direct.disconnect()
      slow.disconnect()
      await proxy.close()
      await redis.stop()
    }
  })
  group.each.setup(() => {
    prefix = `test-${randomUUID()}:`
    cluster = new TestCluster()
    return () => cluster.close()
  })

  test('subscription_succeeded and signin_success come once the node receives from the others', async ({
    assert,
  }) => {
    // B reaches Redis through 30 ms each way, A directly: what A publishes
    // the moment B's client is told it subscribed gets to Redis before an
    // SSUBSCRIBE that B would still have on its way
    const a = await cluster.addNode({
      cluster: (nodeId) => createRedisAdapter(direct, { nodeId, prefix }),
    })
    const b = await cluster.addNode({
      cluster: (nodeId) => createRedisAdapter(slow, { nodeId, prefix }),
    })
    const client = await cluster.raw(b)
    const channels = Array.from({ length: 10 }, (_, index) => `fresh-${index}`)
    const published = channels.map(async (channel) => {
      await cluster.subscribe(client, b, channel)
      await a.server.publish([channel], 'hello', '{}')
    })
    await Promise.all(published)
    for (const channel of channels) {
      await client.next((frame) => frame.channel === channel && frame.event === 'hello', 3000)
    }

    const user = await cluster.raw(b)
    user.send({
      event: 'pusher:signin',
      data: b.sdk.authenticateUser(user.socketId, { id: '7' }),
    })
    await user.next((frame) => frame.event === 'pusher:signin_success', 3000)
    await a.server.terminateUserConnections('7')
    assert.equal(await user.closed(3000), 4009)
  }).timeout(15_000)

  test('a node gets nothing of the channels it has no socket in; deliveries are counted where they happen', async ({
    assert,
  }) => {
    const nodes = []
    for (let index = 0; index < 3; index++) {
      nodes.push(
        await cluster.addNode({
          cluster: (nodeId) =>
            createRedisAdapter(direct, { nodeId, prefix, routing: { linger: 0 } }),
        })
      )
    }
    const [a, b, c] = nodes
    const received = nodes.map(() => 0)
    const delivered = nodes.map(() => 0)
    nodes.forEach((node, index) => {
      node.server.events.on('busReceived', () => received[index]++)
      node.server.events.on('delivered', (recipients) => (delivered[index] += recipients))
    })

    const atA = await cluster.raw(a)
    const atB = [await cluster.raw(b), await cluster.raw(b)]
    await cluster.subscribe(atA, a, 'shared')
    for (const client of atB) {
      await cluster.subscribe(client, b, 'shared')
      await cluster.subscribe(client, b, 'b-only')
    }

    // toOthers from A's socket: none on A, both on B; C serves nothing
    await a.server.publish(['shared'], 'one', '{}', atA.socketId)
    for (let index = 0; index < 5; index++) await a.server.publish(['b-only'], 'two', '{}')
    for (let index = 0; index < 5; index++) await c.server.publish(['nobody'], 'three', '{}')
    await c.server.publish(['shared'], 'fence', '{}')
    for (const client of [atA, ...atB]) {
      await client.next((frame) => frame.event === 'fence')
    }
    assert.deepEqual(received, [2, 7, 0])
    assert.deepEqual(delivered, [1, 14, 0])
    assert.isUndefined(atA.frames.find((frame) => frame.event === 'one'))
  })
})

test.group('Cluster routing | a flood of subscribes and unsubscribes', (group) => {
  let cluster: TestCluster
  group.each.setup(() => {
    cluster = new TestCluster()
    return () => cluster.close()
  })

  test('stays bounded: lingering channels are capped, channels past the pending bound are refused, and retried later', async ({
    assert,
  }) => {
    const { buses, factory } = keepingBuses(
      memoryCluster({
        hub: cluster.hub,
        store: cluster.store,
        routing: { linger: 60_000, maxLingering: 20, maxPending: 30 },
      })
    )
    const options = {
      cluster: factory,
      limits: { subscriptionsPerSecond: 0, maxChannelsPerSocket: 1000 },
    }
    const a = await cluster.addNode(options)
    await cluster.addNode(options)
    const interest = interestOf(buses[0])

    const client = await cluster.raw(a)
    const names = Array.from({ length: 200 }, (_, index) => `flood-${index}`)
    for (let round = 0; round < 3; round++) {
      inOneWrite(
        client.ws,
        names.map((channel) => ({ event: 'pusher:subscribe', data: { channel } }))
      )
      // Each gets an answer: subscribed, or refused for now
      const answered = (channel: string) =>
        client.frames.filter(
          (frame) =>
            frame.channel === channel &&
            (frame.event === 'pusher_internal:subscription_succeeded' ||
              frame.event === 'pusher:subscription_error')
        ).length > round
      const deadline = Date.now() + 5000
      while (!names.every(answered) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      assert.isTrue(names.every(answered))
      assert.isAtMost(interest.stats().lingering, 20)
      assert.isAtMost(interest.pending, 30)
      inOneWrite(
        client.ws,
        names.map((channel) => ({ event: 'pusher:unsubscribe', data: { channel } }))
      )
      await new Promise((resolve) => setTimeout(resolve, 50))
      assert.isAtMost(interest.stats().lingering, 20)
    }
    const refused = client.frames.filter((frame) => frame.event === 'pusher:subscription_error')
    assert.isAbove(refused.length, 0)
    for (const frame of refused) assert.equal(frame.data.status, 503)
    assert.equal(interest.stats().subscribed, interest.stats().lingering)

    // The node is fine: a refused channel subscribes once the flood is through
    const last = refused.at(-1)!.channel!
    await cluster.subscribe(client, a, last)
    const other = await cluster.raw(cluster.nodes[1])
    await cluster.subscribe(other, cluster.nodes[1], 'fence')
    await cluster.nodes[1].server.publish([last], 'after', '{}')
    await client.next((frame) => frame.channel === last && frame.event === 'after')
  }).timeout(20_000)
})
