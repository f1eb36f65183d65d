import { test } from '@japa/runner'
import { TestCluster, type Node } from '../../helpers/test_cluster.ts'
import { startRedisServer, type RedisTestServer } from '../../helpers/redis_server.ts'
import { sleep, within, type RawClient } from '../../helpers/server_clients.ts'
import { open, redisNodes } from '../../helpers/redis_nodes.ts'

const CLIENT_EVENTS = { clientEventsAllowed: () => true }

/**
 * A socket subscribed to the channel as the user (see open), failing the
 * test when it is refused
 */
async function joined(cluster: TestCluster, node: Node, channel: string, userId: string) {
  const { client, answer } = await open(cluster, node, channel, userId)
  if (answer.event !== 'pusher_internal:subscription_succeeded') {
    throw new Error(`${userId} not subscribed to ${channel}: ${JSON.stringify(answer.data)}`)
  }
  return client
}

async function until(check: () => boolean, what: string, ms = 5000) {
  await within(
    (async () => {
      while (!check()) await sleep(10)
    })(),
    what,
    ms
  )
}

const rateLimited = (clients: RawClient[]) =>
  clients.flatMap((client) => client.of('pusher:error')).filter((f) => f.data.code === 4301)

/**
 * "clientEventsPerUserPerSecond" (default 20) counts a user's client events
 * in a channel on every node together
 */
function clientEventsSuite(
  name: string,
  make: () => Promise<{ cluster: TestCluster }>,
  setup?: () => Promise<() => Promise<void>>
) {
  test.group(`Embedded server | client events per user across nodes (${name})`, (group) => {
    if (setup) group.setup(setup)
    let cluster: TestCluster
    group.each.setup(async () => {
      ;({ cluster } = await make())
      return () => cluster.close()
    })

    for (const channel of ['presence-talk', 'private-talk']) {
      test(`${channel}: 3 sockets on each of two nodes at 10/s each deliver 20, the rest get 4301`, async ({
        assert,
      }) => {
        const [a, b] = cluster.nodes
        const listener = await joined(cluster, a, channel, 'listener')
        const senders: RawClient[] = []
        for (const node of [a, b, a, b, a, b]) {
          senders.push(await joined(cluster, node, channel, 'chatty'))
        }

        for (let n = 0; n < 10; n++) {
          for (const sender of senders)
            sender.send({ event: 'client-typing', channel, data: { n } })
        }
        await until(
          () => listener.of('client-typing').length + rateLimited(senders).length >= 60,
          'every event relayed or refused'
        )
        await sleep(200)
        assert.lengthOf(listener.of('client-typing', channel), 20)
        assert.lengthOf(rateLimited(senders), 40)
        assert.include(rateLimited(senders)[0].data.message, 'for this user')
      }).timeout(20_000)
    }

    test('a socket’s client events keep their order, counted or not, on its node and on the other', async ({
      assert,
    }) => {
      const [a, b] = cluster.nodes
      // The sender counts in the presence channel, not in the private one
      // (it did not sign in): only the first waits for the cluster's count
      const presence = 'presence-order'
      const anonymous = 'private-order'
      const sender = await joined(cluster, a, presence, 'sender')
      await subscribePrivate(cluster, a, sender, anonymous)
      const listeners: RawClient[] = []
      for (const node of [a, b]) {
        const listener = await joined(cluster, node, presence, `listener-${node.port}`)
        await subscribePrivate(cluster, node, listener, anonymous)
        listeners.push(listener)
      }

      for (let n = 0; n < 10; n++) {
        const channel = n % 2 === 0 ? presence : anonymous
        sender.send({ event: 'client-step', channel, data: { n } })
      }
      for (const listener of listeners) {
        await until(() => listener.of('client-step').length >= 10, 'ten events')
        assert.deepEqual(
          listener.of('client-step').map((frame) => frame.data.n),
          [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
        )
      }
    }).timeout(20_000)
  })
}

/**
 * Subscribes an open socket to a private channel without signing in
 */
async function subscribePrivate(
  cluster: TestCluster,
  node: Node,
  client: RawClient,
  channel: string
) {
  await cluster.subscribe(client, node, channel)
}

let redis: RedisTestServer

clientEventsSuite(
  'Redis',
  () => redisNodes(redis.url, 2, CLIENT_EVENTS),
  async () => {
    redis = await startRedisServer()
    return () => redis.stop()
  }
)

clientEventsSuite('in memory', async () => ({ cluster: await TestCluster.start(2, CLIENT_EVENTS) }))

test.group('Embedded server | client events per user when Redis fails', (group) => {
  let server: RedisTestServer
  group.each.setup(async () => {
    server = await startRedisServer()
    return () => server.stop()
  })

  for (const failure of ['down', 'stalled'] as const) {
    test(`Redis ${failure}: client events go on each node's own count, in order, and the failure is reported once`, async ({
      assert,
      cleanup,
    }) => {
      const errors: string[] = []
      const logger = { error: (_: object, message: string) => errors.push(message), warn() {} }
      const { cluster } = await redisNodes(server.url, 2, { ...CLIENT_EVENTS, logger })
      cleanup(async () => {
        if (failure === 'stalled') process.kill(server.pid, 'SIGCONT')
        await cluster.close()
      })
      const [a] = cluster.nodes
      const channel = 'presence-outage'
      const listener = await joined(cluster, a, channel, 'listener')
      const senders = [
        await joined(cluster, a, channel, 'chatty'),
        await joined(cluster, a, channel, 'chatty'),
        await joined(cluster, a, channel, 'chatty'),
      ]

      if (failure === 'down') await server.stop()
      else process.kill(server.pid, 'SIGSTOP')
      const started = Date.now()
      for (let n = 0; n < 10; n++) {
        for (const [s, sender] of senders.entries()) {
          sender.send({ event: 'client-typing', channel, data: { s, n } })
        }
      }
      // Node A alone still holds the user to 20 a second
      await until(
        () => listener.of('client-typing').length + rateLimited(senders).length >= 30,
        'every event relayed or refused',
        5000
      )
      const waited = Date.now() - started
      assert.lengthOf(listener.of('client-typing', channel), 20)
      assert.lengthOf(rateLimited(senders), 10)
      // Each sender's events in its order
      for (const s of [0, 1, 2]) {
        const steps = listener
          .of('client-typing')
          .filter((frame) => frame.data.s === s)
          .map((frame) => frame.data.n)
        assert.deepEqual(
          steps,
          [...steps].sort((x, y) => x - y)
        )
      }
      // A stalled Redis holds an event for the answer's timeout (500 ms) at most
      assert.isBelow(waited, failure === 'down' ? 500 : 2000)
      assert.lengthOf(
        errors.filter((message) => message.includes('counting client events across the cluster')),
        1
      )
    }).timeout(20_000)
  }
})
