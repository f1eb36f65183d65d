import { randomUUID } from 'node:crypto'
import { test } from '@japa/runner'
import { Redis } from 'ioredis'
import {
  RedisState,
  type RedisStateOptions,
} from '../../../packages/engine/src/state/redis_state.ts'
import { bucketOf, RedisKeys } from '../../../packages/engine/src/state/redis_keys.ts'
import { createRedisAdapter } from '../../../packages/engine/src/cluster/redis_adapter.ts'
import { channelStateContract } from '../../helpers/channel_state_contract.ts'
import { startRedisServer, type RedisTestServer } from '../../helpers/redis_server.ts'

let server: RedisTestServer

const startServer = async () => {
  server = await startRedisServer()
  return () => server.stop()
}

/**
 * Node-bound states, each on its own connection, under a fresh prefix
 */
async function makeStates(nodes: number, options: Partial<RedisStateOptions> = {}) {
  const prefix = `test-${randomUUID()}:`
  const clients = Array.from(
    { length: nodes },
    () => new Redis(server.url, { lazyConnect: true, enableOfflineQueue: false })
  )
  const states = clients.map(
    (client, index) => new RedisState(client, { nodeId: `node${index}`, prefix, ...options })
  )
  return {
    prefix,
    states,
    clients,
    async cleanup() {
      await Promise.all(clients.map((client) => client.quit().catch(() => client.disconnect())))
    },
    /**
     * As if the node's heartbeat key had expired
     */
    async expire(index: number) {
      await clients[0].del(`${prefix}node:{node${index}}`)
    },
  }
}

const hashTag = (key: string) => key.slice(key.indexOf('{'), key.indexOf('}') + 1)

channelStateContract('RedisState', (nodes) => makeStates(nodes), { setup: startServer })

test.group('RedisState', (group) => {
  group.setup(startServer)

  test('a limit counted in Redis gives up after the adapter’s limitTimeout while Redis stalls', async ({
    assert,
    cleanup,
  }) => {
    const connection = new Redis(server.url, { lazyConnect: true })
    const admin = new Redis(server.url)
    const { state, close } = createRedisAdapter(connection, {
      nodeId: 'node0',
      prefix: `test-${randomUUID()}:`,
      limitTimeout: 100,
    })
    cleanup(async () => {
      await close()
      connection.disconnect()
      admin.disconnect()
    })
    await state.join('presence-room', 's1', { id: 'u1', info: null })
    assert.isTrue(await state.takeClientEvent('presence-room', 'u1', 10))

    // Every command waits 1.5 s: the limit's call must not
    await admin.call('CLIENT', 'PAUSE', '1500', 'ALL')
    const order: string[] = []
    const probe = new Redis(server.url)
    cleanup(() => probe.disconnect())
    const paused = probe.ping().then(() => order.push('pause over'))
    const limited = state.takeClientEvent('presence-room', 'u1', 10).catch((error: Error) => {
      order.push('limit gave up')
      return error.message
    })
    assert.include(await limited, 'no answer within 100 ms')
    await paused
    assert.deepEqual(order, ['limit gave up', 'pause over'])
  })

  test('every key is under the prefix, a channel’s keys and indexes share its bucket’s tag', async ({
    assert,
    cleanup,
  }) => {
    const { states, clients, prefix, ...rest } = await makeStates(2)
    cleanup(() => rest.cleanup())
    const other = await makeStates(1)
    cleanup(() => other.cleanup())
    await states[0].heartbeat()
    await states[0].join('presence-room', 's1', { id: 'u1', info: null })
    await states[1].join('news', 's2')
    await states[0].cacheEvent('cache-x', 'frame', 10_000)

    const tag = (channel: string) => `{b${bucketOf(channel)}}`
    const keys = await clients[0].keys(`${prefix}*`)
    assert.sameMembers(
      keys.map((key) => key.slice(prefix.length)),
      [
        ...new Set([`${tag('presence-room')}channels`, `${tag('news')}channels`]),
        'nodes',
        'node:{node0}',
        `${tag('presence-room')}memberships:node0`,
        `${tag('news')}memberships:node1`,
        `${tag('presence-room')}:presence-room:sockets`,
        `${tag('presence-room')}:presence-room:members`,
        `${tag('presence-room')}:presence-room:users`,
        `${tag('news')}:news:sockets`,
        `${tag('cache-x')}:cache-x:cache`,
      ]
    )
    // What one script touches is on one Redis Cluster slot (a cluster
    // hashes the first "{...}" of a key)
    const joined = new RedisKeys(prefix).membership('presence-room', 'node0')
    assert.deepEqual(new Set(joined.map(hashTag)), new Set([tag('presence-room')]))
    // Another prefix sees nothing of it
    assert.deepEqual(await other.states[0].channels(), new Map())
    assert.isUndefined(await other.states[0].cachedEvent('cache-x'))
  })

  test('channels() skips and drops an index entry left by a race', async ({ assert, cleanup }) => {
    const { states, clients, prefix, ...rest } = await makeStates(1)
    cleanup(() => rest.cleanup())
    await states[0].join('news', 's1')
    const keys = new RedisKeys(prefix)
    await clients[0].sadd(keys.channels(bucketOf('stale')), 'stale')
    assert.deepEqual(await states[0].channels(), new Map([['news', { subscriptionCount: 1 }]]))
    assert.deepEqual(await clients[0].smembers(keys.channels(bucketOf('stale'))), [])
    assert.deepEqual(await clients[0].smembers(keys.channels(bucketOf('news'))), ['news'])
  })

  test('a node whose heartbeat expires is reaped after nodeTimeout', async ({
    assert,
    cleanup,
  }) => {
    const { states, ...rest } = await makeStates(2, { nodeTimeout: 150 })
    cleanup(() => rest.cleanup())
    await states[0].heartbeat()
    await states[1].heartbeat()
    await states[0].join('presence-room', 's1', { id: 'u1', info: null })

    // Node 1 keeps beating, node 0 stops: wait for the condition, not a fixed time
    let reaped: Awaited<ReturnType<RedisState['reapDeadNodes']>> = []
    const deadline = Date.now() + 5000
    while (reaped.length === 0 && Date.now() < deadline) {
      await states[1].heartbeat()
      reaped = await states[1].reapDeadNodes()
      if (reaped.length === 0) await new Promise((resolve) => setTimeout(resolve, 25))
    }
    assert.deepEqual(reaped, [{ channel: 'presence-room', vacated: true, memberRemoved: 'u1' }])
    assert.deepEqual(await states[1].channels(), new Map())
  })

  test('a heartbeat after being reaped reports the registration lost', async ({
    assert,
    cleanup,
  }) => {
    const made = await makeStates(2)
    cleanup(() => made.cleanup())
    const [a, b] = made.states
    assert.isFalse(await a.heartbeat())
    assert.isFalse(await a.heartbeat())
    await a.join('news', 's1')

    await made.expire(0)
    assert.lengthOf(await b.reapDeadNodes(), 1)
    assert.isTrue(await a.heartbeat())
    // Re-applying the membership restores it
    assert.deepEqual(await a.join('news', 's1'), { occupied: true, memberAdded: false })
    assert.deepEqual(await b.reapDeadNodes(), [])
    assert.equal((await b.channel('news')).subscriptionCount, 1)
  })
})
