import { randomUUID } from 'node:crypto'
import { test } from '@japa/runner'
import { Cluster } from 'ioredis'
import { createRedisAdapter } from '../../../packages/engine/src/cluster/redis_adapter.ts'
import { RedisBus } from '../../../packages/engine/src/bus/redis_bus.ts'
import { RedisState } from '../../../packages/engine/src/state/redis_state.ts'
import { busContract } from '../../helpers/bus_contract.ts'
import { channelStateContract } from '../../helpers/channel_state_contract.ts'
import { clusterSuite } from '../../helpers/cluster_suite.ts'
import { lifecycleSuite } from '../../helpers/lifecycle_suite.ts'
import { startRedisCluster, type RedisTestCluster } from '../../helpers/redis_cluster.ts'

/**
 * Everything that runs on one Redis runs again on a local 3-master Redis
 * Cluster: the channel state and bus contracts, the three-node suite and
 * the lifecycle suite (a fresh key prefix per test)
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
