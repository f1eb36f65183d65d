import { test } from '@japa/runner'
import { Redis } from 'ioredis'
import { startRedisServer, type RedisTestServer } from '../../helpers/redis_server.ts'
import { redisNodes, sharedRedis } from '../../helpers/redis_nodes.ts'
import { sleep, within } from '../../helpers/server_clients.ts'
import { LEAVE_DELAY, signIn, until, watch, watchlistSuite } from '../../helpers/watchlist_suite.ts'

/**
 * The watchlist suite with the three nodes sharing a real Redis (a fresh
 * key prefix per test)
 */
const shared = sharedRedis()
watchlistSuite('three nodes (Redis)', 3, shared.options, shared.hooks)

test.group('Watchlists | a node that dies (Redis)', (group) => {
  let redis: RedisTestServer
  group.setup(async () => {
    redis = await startRedisServer()
    return () => redis.stop()
  })

  test('its users go offline for the watchers on the other nodes once it is reaped', async ({
    assert,
    cleanup,
  }) => {
    const { cluster, crash } = await redisNodes(redis.url, 3, { leaveEventDelay: LEAVE_DELAY })
    cleanup(() => cluster.close())
    const [a, b, c] = cluster.nodes
    await signIn(cluster, a, '2')
    await signIn(cluster, c, '3')
    const watcher = cluster.pusher(b, { user: { id: '1', watchlist: ['2', '3'] } })
    const { seen } = watch(watcher)
    watcher.signin()
    await until(() => seen.length >= 1, 'the initial state')
    assert.deepEqual(seen, ['online:2,3'])

    crash(a)
    await until(() => seen.length >= 2, 'offline once reaped', 8000)
    assert.deepEqual(seen, ['online:2,3', 'offline:2'])
    // The cluster's state agrees: user 2 is gone with its node, user 3 stays
    assert.isFalse(await b.server.state.hasMember('#online-2', '2'))
    assert.isTrue(await b.server.state.hasMember('#online-3', '3'))
  }).timeout(20_000)
})

test.group('Watchlists | Redis keys', (group) => {
  let redis: RedisTestServer
  group.setup(async () => {
    redis = await startRedisServer()
    return () => redis.stop()
  })

  test('sign-ins and watchlists leave no key once their sockets are gone', async ({ cleanup }) => {
    const { cluster, prefix } = await redisNodes(redis.url, 2, { leaveEventDelay: LEAVE_DELAY })
    const keys = new Redis(redis.url)
    cleanup(async () => {
      keys.disconnect()
      await cluster.close()
    })
    const [a, b] = cluster.nodes
    for (let round = 0; round < 6; round++) {
      const client = await signIn(cluster, round % 2 ? a : b, `u${round % 2}`, ['x', 'y'])
      client.disconnect()
    }
    const nodeKeys = [a, b].map((node) => `node:{${node.server.nodeId}}`).concat('nodes')
    await within(
      (async () => {
        for (;;) {
          const left = (await keys.keys(`${prefix}*`)).map((key) => key.slice(prefix.length))
          if (left.every((key) => nodeKeys.includes(key))) return
          await sleep(100)
        }
      })(),
      'the keys to go',
      8000
    )
  }).timeout(20_000)
})
