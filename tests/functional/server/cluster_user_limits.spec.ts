import { randomUUID } from 'node:crypto'
import { test } from '@japa/runner'
import { Redis } from 'ioredis'
import type { ClusterFactory } from '../../../packages/engine/src/cluster/cluster.ts'
import { RedisBus } from '../../../packages/engine/src/bus/redis_bus.ts'
import { RedisState } from '../../../packages/engine/src/state/redis_state.ts'
import { TestCluster, type Node } from '../../helpers/test_cluster.ts'
import { startRedisServer, type RedisTestServer } from '../../helpers/redis_server.ts'
import { sleep, within, type Frame, type RawClient } from '../../helpers/server_clients.ts'

const quiet = { error() {}, warn() {} }

/**
 * Nodes over one Redis whose state connection the test can cut, as a
 * crash would: the node sends no leave and no heartbeat any more, and a
 * survivor reaps it once "nodeTimeout" has passed
 */
function crashableRedis(url: string) {
  const prefix = `test-${randomUUID()}:`
  const app = new Redis(url, { lazyConnect: true })
  const commands = new Map<string, Redis>()
  const factory = Object.assign(
    (nodeId: string) => {
      const connection = new Redis(url, { lazyConnect: true, enableOfflineQueue: false })
      connection.on('error', () => {})
      commands.set(nodeId, connection)
      const state = new RedisState(connection, { nodeId, prefix, nodeTimeout: 1000 })
      const bus = new RedisBus(app, { nodeId, prefix })
      return {
        bus,
        state,
        async close() {
          await bus.close()
          connection.disconnect()
        },
      }
    },
    { shared: true }
  ) satisfies ClusterFactory
  return {
    factory,
    /**
     * The node can no longer reach Redis, and never will again
     */
    crash(node: Node) {
      commands.get(node.server.nodeId!)!.disconnect()
    },
    close() {
      app.disconnect()
      for (const connection of commands.values()) connection.disconnect()
    },
  }
}

/**
 * A raw socket of the node, subscribed to the channel as the user: a
 * presence member, or a socket signed in as the user on a private channel.
 * Resolves with the socket and the answer (succeeded or error).
 */
async function open(cluster: TestCluster, node: Node, channel: string, userId: string) {
  const client = await cluster.raw(node)
  let auth: object
  if (channel.startsWith('presence-')) {
    auth = node.sdk.authorizeChannel(client.socketId, channel, { user_id: userId })
  } else {
    client.send({
      event: 'pusher:signin',
      data: node.sdk.authenticateUser(client.socketId, { id: userId }),
    })
    await client.next((frame) => frame.event === 'pusher:signin_success')
    auth = node.sdk.authorizeChannel(client.socketId, channel)
  }
  client.send({ event: 'pusher:subscribe', data: { channel, ...auth } })
  const answer = await client.next(
    (frame) =>
      frame.channel === channel &&
      (frame.event === 'pusher_internal:subscription_succeeded' ||
        frame.event === 'pusher:subscription_error'),
    5000
  )
  return { client, answer }
}

function assertRefused(assert: any, answer: Frame, userId: string, channel: string) {
  assert.equal(answer.event, 'pusher:subscription_error')
  assert.equal(answer.data.status, 403)
  assert.equal(
    answer.data.error,
    `Too many connections of user "${userId}" in "${channel}": the limit is 10`
  )
}

/**
 * Opens "count" sockets of the user, alternating between the nodes given,
 * and checks each is admitted
 */
async function fill(
  assert: any,
  cluster: TestCluster,
  nodes: Node[],
  count: number,
  channel: string,
  userId: string
) {
  const opened: Array<{ node: Node; client: RawClient }> = []
  for (let i = 0; i < count; i++) {
    const node = nodes[i % nodes.length]
    const { client, answer } = await open(cluster, node, channel, userId)
    assert.equal(answer.event, 'pusher_internal:subscription_succeeded', `socket ${i + 1}`)
    opened.push({ node, client })
  }
  return opened
}

async function until(check: () => Promise<boolean>, what: string, ms = 5000) {
  await within(
    (async () => {
      while (!(await check())) await sleep(25)
    })(),
    what,
    ms
  )
}

/**
 * The sockets of one user in one channel, counted for the whole cluster
 * ("maxSocketsPerUserPerChannel", default 10)
 */
function socketsPerUserSuite(
  name: string,
  make: () => Promise<{ cluster: TestCluster; crash?: (node: Node) => void }>,
  setup?: () => Promise<() => Promise<void>>
) {
  test.group(`Embedded server | sockets per user per channel across nodes (${name})`, (group) => {
    if (setup) group.setup(setup)
    let cluster: TestCluster
    let crash: ((node: Node) => void) | undefined
    group.each.setup(async () => {
      ;({ cluster, crash } = await make())
      return () => cluster.close()
    })

    for (const channel of ['presence-limits', 'private-limits']) {
      test(`${channel}: the 11th socket of a user is refused on whichever node it lands; a freed slot is taken on the other`, async ({
        assert,
      }) => {
        const [a, b] = cluster.nodes
        const opened = await fill(assert, cluster, [a, b], 10, channel, 'ada')

        for (const node of [a, b]) {
          const refused = await open(cluster, node, channel, 'ada')
          assertRefused(assert, refused.answer, 'ada', channel)
        }
        // Another user is not affected
        const other = await open(cluster, a, channel, 'bob')
        assert.equal(other.answer.event, 'pusher_internal:subscription_succeeded')

        // One closes on A: one more is admitted, on B
        const first = opened.find((socket) => socket.node === a)!.client
        first.ws.close()
        await first.closed()
        await until(
          async () => (await b.server.state.channel(channel)).subscriptionCount === 10,
          'the leave'
        )
        const again = await open(cluster, b, channel, 'ada')
        assert.equal(again.answer.event, 'pusher_internal:subscription_succeeded')
        assertRefused(assert, (await open(cluster, a, channel, 'ada')).answer, 'ada', channel)
      }).timeout(30_000)
    }

    test('a node removed from the cluster gives its sockets back', async ({ assert }) => {
      const [a, b] = cluster.nodes
      const channel = 'presence-limits'
      await fill(assert, cluster, [a, b], 10, channel, 'ada')
      assertRefused(assert, (await open(cluster, a, channel, 'ada')).answer, 'ada', channel)

      await b.server.close()
      for (let i = 0; i < 5; i++) {
        const { answer } = await open(cluster, a, channel, 'ada')
        assert.equal(answer.event, 'pusher_internal:subscription_succeeded')
      }
      assertRefused(assert, (await open(cluster, a, channel, 'ada')).answer, 'ada', channel)
    }).timeout(30_000)

    if (name !== 'Redis') return
    test('a node that dies without leaving: once reaped, its sockets no longer count', async ({
      assert,
    }) => {
      const [a, b] = cluster.nodes
      const channel = 'presence-limits'
      const opened = await fill(assert, cluster, [a, b], 10, channel, 'ada')

      // B loses Redis for good, then its clients drop: it sends no leave
      crash!(b)
      for (const socket of opened) if (socket.node === b) socket.client.ws.terminate()
      await sleep(100)
      assert.equal((await a.server.state.channel(channel)).subscriptionCount, 10)
      assertRefused(assert, (await open(cluster, a, channel, 'ada')).answer, 'ada', channel)

      // A survivor reaps B once its heartbeat expired
      await until(
        async () => (await a.server.state.channel(channel)).subscriptionCount === 5,
        'B reaped',
        8000
      )
      for (let i = 0; i < 5; i++) {
        const { answer } = await open(cluster, a, channel, 'ada')
        assert.equal(answer.event, 'pusher_internal:subscription_succeeded')
      }
      assertRefused(assert, (await open(cluster, a, channel, 'ada')).answer, 'ada', channel)
    }).timeout(30_000)
  })
}

let redis: RedisTestServer

socketsPerUserSuite(
  'Redis',
  async () => {
    const adapter = crashableRedis(redis.url)
    const cluster = new TestCluster()
    const options = { cluster: adapter.factory, heartbeatInterval: 0.2, logger: quiet }
    await cluster.addNode(options)
    await cluster.addNode(options)
    const close = cluster.close.bind(cluster)
    cluster.close = async () => {
      await close()
      adapter.close()
    }
    return { cluster, crash: adapter.crash }
  },
  async () => {
    redis = await startRedisServer()
    return () => redis.stop()
  }
)

socketsPerUserSuite('in memory', async () => ({ cluster: await TestCluster.start(2) }))
