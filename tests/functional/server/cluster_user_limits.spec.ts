import { test } from '@japa/runner'
import { TestCluster, type Node } from '../../helpers/test_cluster.ts'
import { startRedisServer, type RedisTestServer } from '../../helpers/redis_server.ts'
import { sleep, within, type Frame, type RawClient } from '../../helpers/server_clients.ts'
import { open, redisNodes } from '../../helpers/redis_nodes.ts'

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
  () => redisNodes(redis.url),
  async () => {
    redis = await startRedisServer()
    return () => redis.stop()
  }
)

socketsPerUserSuite('in memory', async () => ({ cluster: await TestCluster.start(2) }))
