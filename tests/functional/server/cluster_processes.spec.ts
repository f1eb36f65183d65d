import { test } from '@japa/runner'
import type { Assert } from '@japa/assert'
import PusherSdk from 'pusher'
import { WebSocket } from 'ws'
import env from '#start/env'
import { startAppProcess } from '../../helpers/app_process.ts'
import { RawClient, sleep, within } from '../../helpers/server_clients.ts'
import { startRedisServer, type RedisTestServer } from '../../helpers/redis_server.ts'
import { startRedisCluster, type RedisTestCluster } from '../../helpers/redis_cluster.ts'

const CREDENTIALS = {
  appId: env.get('PUSHER_APP_ID'),
  key: env.get('PUSHER_APP_KEY'),
  secret: env.get('PUSHER_APP_SECRET').release(),
}

/**
 * The example app as an OS process, in Redis mode on the test's Redis or
 * Redis Cluster
 */
async function startNode(redis: RedisTestServer | RedisTestCluster) {
  const target: Record<string, string> =
    'nodes' in redis
      ? {
          BROADCAST_REDIS_CONNECTION: 'cluster',
          REDIS_CLUSTER_NODES: redis.nodes.map((node) => `${node.host}:${node.port}`).join(','),
        }
      : { REDIS_HOST: '127.0.0.1', REDIS_PORT: String(redis.port) }
  const node = await startAppProcess(['--import=@poppinss/ts-exec', 'bin/server.ts'], {
    LOG_LEVEL: 'warn',
    BROADCAST_ADAPTER: 'redis',
    ...target,
  })
  const sdk = new PusherSdk({ ...CREDENTIALS, host: '127.0.0.1', port: String(node.port) })
  return { ...node, sdk }
}

type Node = Awaited<ReturnType<typeof startNode>>

async function joinPresence(node: Node, userId: string) {
  const client = await RawClient.open(
    new WebSocket(`ws://127.0.0.1:${node.port}/app/${CREDENTIALS.key}`)
  )
  const channel = 'presence-room'
  client.send({
    event: 'pusher:subscribe',
    data: { channel, ...node.sdk.authorizeChannel(client.socketId, channel, { user_id: userId }) },
  })
  await client.next((f) => f.event === 'pusher_internal:subscription_succeeded', 10_000)
  return client
}

async function users(node: Node) {
  const response = await node.sdk.get({ path: '/channels/presence-room/users' })
  const body = (await response.json()) as { users: Array<{ id: string }> }
  return body.users.map((user) => user.id).sort()
}

/**
 * Polls until "check" holds, for at most "ms"; resolves with the time taken
 */
async function eventually(check: () => Promise<boolean>, what: string, ms: number) {
  const started = Date.now()
  await within(
    (async () => {
      while (!(await check().catch(() => false))) await sleep(100)
    })(),
    what,
    ms
  )
  return Date.now() - started
}

/**
 * Two app processes on the Redis, a presence member on each: "ghost" on
 * the one the test may kill, "observer" on the other
 */
async function twoNodesWithMembers(
  redis: RedisTestServer | RedisTestCluster,
  cleanup: (fn: () => Promise<void>) => void
) {
  const a = await startNode(redis)
  const b = await startNode(redis)
  cleanup(async () => {
    if (a.child.exitCode === null) a.child.kill('SIGKILL')
    await b.stop()
  })
  const ghost = await joinPresence(a, 'ghost')
  const observer = await joinPresence(b, 'observer')
  cleanup(async () => {
    ghost.ws.terminate()
    observer.ws.terminate()
  })
  return { a, b, ghost, observer }
}

test.group('Embedded server | app processes over Redis', (group) => {
  let redis: RedisTestServer
  group.setup(async () => {
    redis = await startRedisServer()
    return () => redis.stop()
  })

  test('Redis restarted empty converges; a node killed with -9 leaves no ghost', async ({
    assert,
    cleanup,
  }) => {
    const { a, b, ghost, observer } = await twoNodesWithMembers(redis, cleanup)
    assert.deepEqual(await users(b), ['ghost', 'observer'])

    // An event sent to one process reaches a socket of the other
    await b.sdk.trigger('presence-room', 'Hello', { n: 1 })
    assert.deepEqual((await ghost.next((f) => f.event === 'Hello', 5000)).data, { n: 1 })

    /**
     * Redis restarted empty: each node finds its registration gone at its
     * next heartbeat and joins its sockets again; the bus resubscribes
     */
    await redis.restart()
    await eventually(
      async () => (await users(b)).join() === 'ghost,observer',
      'presence lists to converge after the Redis restart',
      15_000
    )
    await eventually(
      async () => {
        await a.sdk.trigger('presence-room', 'Again', { n: 2 })
        return observer.of('Again').length > 0
      },
      'the bus to carry events again',
      15_000
    )

    await killedNodeLeavesNoGhost(assert, a, b, observer)
  }).timeout(90_000)
})

test.group('Embedded server | app processes over a Redis Cluster', (group) => {
  let redis: RedisTestCluster
  group.setup(async () => {
    redis = await startRedisCluster()
    return () => redis.stop()
  })

  test('events cross the nodes; a node killed with -9 leaves no ghost', async ({
    assert,
    cleanup,
  }) => {
    const { a, b, ghost, observer } = await twoNodesWithMembers(redis, cleanup)
    assert.deepEqual(await users(b), ['ghost', 'observer'])
    await a.sdk.trigger('presence-room', 'Hello', { n: 1 })
    assert.deepEqual((await observer.next((f) => f.event === 'Hello', 5000)).data, { n: 1 })
    await b.sdk.trigger('presence-room', 'Back', { n: 2 })
    assert.deepEqual((await ghost.next((f) => f.event === 'Back', 5000)).data, { n: 2 })

    await killedNodeLeavesNoGhost(assert, a, b, observer)
  }).timeout(90_000)
})

/**
 * A node killed without closing: its member leaves the others within the
 * bound (heartbeats every 3 s, dead after 10 s)
 */
async function killedNodeLeavesNoGhost(
  assert: Assert,
  killed: Node,
  survivor: Node,
  observer: RawClient
) {
  killed.child.kill('SIGKILL')
  const took = await eventually(
    async () =>
      observer.frames.some(
        (f) => f.event === 'pusher_internal:member_removed' && f.data.user_id === 'ghost'
      ),
    'member_removed for the killed node',
    20_000
  )
  assert.isBelow(took, 15_000)
  assert.deepEqual(await users(survivor), ['observer'])
}
