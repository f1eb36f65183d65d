import { randomUUID } from 'node:crypto'
import { test } from '@japa/runner'
import { Cluster, Redis } from 'ioredis'
import { createRedisAdapter } from '../../../packages/engine/src/cluster/redis_adapter.ts'
import { RedisBus } from '../../../packages/engine/src/bus/redis_bus.ts'
import { RedisState } from '../../../packages/engine/src/state/redis_state.ts'
import { busContract } from '../../helpers/bus_contract.ts'
import { channelStateContract } from '../../helpers/channel_state_contract.ts'
import { clusterSuite } from '../../helpers/cluster_suite.ts'
import { lifecycleSuite } from '../../helpers/lifecycle_suite.ts'
import { watchlistSuite } from '../../helpers/watchlist_suite.ts'
import { startRedisCluster, type RedisTestCluster } from '../../helpers/redis_cluster.ts'
import { quiet } from '../../helpers/redis_nodes.ts'
import { sleep, within } from '../../helpers/server_clients.ts'
import { TestCluster } from '../../helpers/test_cluster.ts'

/**
 * Everything that runs on one Redis runs again on a local 3-master Redis
 * Cluster: the channel state and bus contracts, the three-node suite and
 * the lifecycle and watchlist suites (a fresh key prefix per test)
 */
let redis: RedisTestCluster
let connection: Cluster

const startCluster = async () => {
  redis = await startRedisCluster()
  connection = new Cluster(redis.nodes, { lazyConnect: true })
  return async () => {
    connection.disconnect()
    await redis.stop()
  }
}

const adapter = () => {
  const prefix = `test-${randomUUID()}:`
  return { cluster: (nodeId: string) => createRedisAdapter(connection, { nodeId, prefix }) }
}

channelStateContract(
  'RedisState on a Redis Cluster',
  async (nodes) => {
    const prefix = `test-${randomUUID()}:`
    const clients = Array.from({ length: nodes }, () =>
      connection.duplicate([], { lazyConnect: true, enableOfflineQueue: false })
    )
    const states = clients.map((client, index) => {
      return new RedisState(client, { nodeId: `node${index}`, prefix })
    })
    return {
      states,
      async cleanup() {
        for (const client of clients) client.disconnect()
      },
      async expire(index: number) {
        await connection.del(`${prefix}node:{node${index}}`)
      },
    }
  },
  { setup: startCluster }
)

busContract(
  'RedisBus on a Redis Cluster',
  async (nodes, routing) => {
    const prefix = `test-${randomUUID()}:`
    const buses = Array.from(
      { length: nodes },
      (_, index) => new RedisBus(connection, { nodeId: `node${index}`, prefix, routing })
    )
    return {
      buses,
      async cleanup() {
        await Promise.all(buses.map((bus) => bus.close()))
      },
    }
  },
  { setup: startCluster }
)

clusterSuite('Redis Cluster', adapter, { setup: startCluster })

lifecycleSuite('three nodes on a Redis Cluster', 3, adapter, { setup: startCluster })

watchlistSuite('three nodes on a Redis Cluster', 3, adapter, { setup: startCluster })

test.group('Redis Cluster', (group) => {
  group.setup(startCluster)

  test('channels spread over every master; listing and reaping read them all', async ({
    assert,
    cleanup,
  }) => {
    const prefix = `test-${randomUUID()}:`
    const client = () => connection.duplicate([], { lazyConnect: true, enableOfflineQueue: false })
    const [first, second] = [client(), client()]
    cleanup(() => {
      first.disconnect()
      second.disconnect()
    })
    const a = new RedisState(first, { nodeId: 'a', prefix, nodeTimeout: 200 })
    const b = new RedisState(second, { nodeId: 'b', prefix })
    await Promise.all([a.heartbeat(), b.heartbeat()])
    const channels = Array.from({ length: 40 }, (_, index) => `presence-room-${index}`)
    for (const [index, channel] of channels.entries()) {
      await a.join(channel, `s${index}`, { id: `u${index}`, info: { index } })
    }

    // Each master holds some of them
    const masters = first.nodes('master')
    assert.lengthOf(masters, 3)
    for (const master of masters) {
      assert.isNotEmpty(await master.keys(`${prefix}*:sockets`))
    }
    assert.sameMembers([...(await b.channels()).keys()], channels)

    // Node "a" dies: "b" reaps its memberships on every master
    await new Promise((resolve) => setTimeout(resolve, 300))
    const reaped = await b.reapDeadNodes()
    assert.sameMembers(
      reaped.map((leave) => leave.channel),
      channels
    )
    assert.deepEqual(await b.channels(), new Map())
    for (const master of masters) {
      assert.deepEqual(await master.keys(`${prefix}*:sockets`), [])
    }
  })
})

test.group('Redis Cluster | a master restarted empty', (group) => {
  group.setup(startCluster)

  test('the nodes join its channels again, and its events flow again', async ({
    assert,
    cleanup,
  }) => {
    const prefix = `test-${randomUUID()}:`
    const cluster = new TestCluster()
    cleanup(() => cluster.close())
    const options = {
      cluster: (nodeId: string) => createRedisAdapter(connection, { nodeId, prefix }),
      heartbeatInterval: 0.2,
      logger: quiet,
    }
    const a = await cluster.addNode(options)
    const b = await cluster.addNode(options)
    const channels = Array.from({ length: 12 }, (_, index) => `presence-r${index}`)
    const [onA, onB] = [await cluster.raw(a), await cluster.raw(b)]
    for (const channel of channels) {
      await cluster.subscribe(onA, a, channel, { user_id: 'a' })
      await cluster.subscribe(onB, b, channel, { user_id: 'b' })
    }

    // The master to restart holds some of the channels, and neither node's
    // registration (losing that makes a node join everything again anyway)
    const keysOn = async (index: number, pattern: string) => {
      const master = new Redis(redis.nodes[index].port, redis.nodes[index].host)
      try {
        return await master.keys(pattern)
      } finally {
        master.disconnect()
      }
    }
    let victim = -1
    for (const index of redis.nodes.keys()) {
      const members = await keysOn(index, `${prefix}*:members`)
      const registrations = await keysOn(index, `${prefix}node:*`)
      if (members.length > 0 && registrations.length === 0) victim = index
    }
    assert.isAtLeast(victim, 0)

    await redis.restartNode(victim)

    // Both members listed again on every channel, the lost ones included
    const listed = async () =>
      Promise.all(
        channels.map(async (channel) => [...(await a.server.state.members(channel)).keys()])
      )
    await within(
      (async () => {
        while ((await listed().catch(() => [])).some((ids) => ids.sort().join() !== 'a,b')) {
          await sleep(100)
        }
      })(),
      'the presence lists to converge',
      10_000
    )
    assert.isNotEmpty(await keysOn(victim, `${prefix}*:members`))

    // An event from node A reaches node B's socket on every channel
    for (const channel of channels) {
      await within(
        (async () => {
          while (!onB.frames.some((f) => f.channel === channel && f.event === 'after')) {
            await a.server.publish([channel], 'after', '{}').catch(() => {})
            await sleep(100)
          }
        })(),
        `an event on ${channel} to cross the nodes`,
        10_000
      )
    }
  }).timeout(60_000)
})
