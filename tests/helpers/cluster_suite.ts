import { test } from '@japa/runner'
import type { EmbeddedServerOptions } from '../../packages/engine/src/embedded_server.ts'
import { TestCluster } from './test_cluster.ts'
import { connected, once, sleep, within } from './server_clients.ts'

/**
 * Resolves once a pusher-js channel is subscribed
 */
export function subscribed(channel: any) {
  return once(channel, 'pusher:subscription_succeeded')
}

/**
 * Records the events of a pusher-js channel after its subscription
 */
export function record(channel: any) {
  const events: Array<{ event: string; data: any }> = []
  channel.bind_global((event: string, data: any) => {
    if (event !== 'pusher:subscription_succeeded') events.push({ event, data })
  })
  return events
}

/**
 * Waits until "done" holds (events travel through another node's bus),
 * then a little longer, so a duplicate would show
 */
async function settle(done: () => boolean, what: string) {
  await within(
    (async () => {
      while (!done()) await sleep(10)
    })(),
    what,
    5000
  )
  await sleep(100)
}

/**
 * What three nodes must do to act as one Pusher server, whatever shares
 * their state: run with the in-memory cluster and with Redis. "options"
 * gives each test's nodes their cluster adapter.
 */
export function clusterSuite(
  name: string,
  options: () => Partial<EmbeddedServerOptions>,
  hooks: { setup?: () => Promise<() => Promise<void>> } = {}
) {
  test.group(`Embedded server | three nodes (${name})`, (group) => {
    if (hooks.setup) group.setup(hooks.setup)
    let cluster: TestCluster
    group.each.setup(async () => {
      cluster = await TestCluster.start(3, options())
      return () => cluster.close()
    })

    test('an event from any node reaches every subscriber exactly once', async ({ assert }) => {
      const [a, b, c] = cluster.nodes
      const channels = cluster.nodes.map((node) => cluster.pusher(node).subscribe('news'))
      await Promise.all(channels.map(subscribed))
      const received = channels.map(record)

      await a.sdk.trigger('news', 'Headline', { n: 1 })
      await b.server.publish(['news'], 'Headline', JSON.stringify({ n: 2 }))
      await c.sdk.trigger('news', 'Headline', { n: 3 })
      await settle(() => received.every((events) => events.length >= 3), 'three events')
      for (const events of received) {
        assert.deepEqual(events.map((e) => e.data.n).sort(), [1, 2, 3])
      }
    })

    test('toOthers: the socket_id is excluded whichever node holds it', async ({ assert }) => {
      const [a, b, c] = cluster.nodes
      const clients = [cluster.pusher(a), cluster.pusher(b), cluster.pusher(c)]
      const channels = clients.map((client) => client.subscribe('private-room'))
      await Promise.all(channels.map(subscribed))
      const received = channels.map(record)
      const onB = await connected(clients[1])
      const onC = await connected(clients[2])

      // Sent to node a, excluding a socket of node b
      await a.sdk.trigger('private-room', 'Said', { n: 1 }, { socket_id: onB })
      // Emitted on node b, excluding a socket of node c
      await b.server.publish(['private-room'], 'Said', JSON.stringify({ n: 2 }), onC)
      const counts = () => received.map((events) => events.length).join()
      await settle(() => counts() === '2,1,1', 'the events')
      assert.deepEqual(
        received.map((events) => events.map((e) => e.data.n)),
        [[1, 2], [2], [1]]
      )
    })

    test('presence: one user on two nodes is one member, added once and removed after its last socket', async ({
      assert,
    }) => {
      const [a, b, c] = cluster.nodes
      const observer = cluster.pusher(c, { member: { user_id: 'obs', user_info: { n: 'O' } } })
      const watched = observer.subscribe('presence-room')
      await subscribed(watched)
      const seen = record(watched)

      const ada = { member: { user_id: 'ada', user_info: { n: 'Ada' } } }
      const tab1 = cluster.pusher(a, ada)
      const first: any = await subscribed(tab1.subscribe('presence-room'))
      assert.deepEqual(Object.keys(first.members).sort(), ['ada', 'obs'])
      await within(
        (async () => {
          while (seen.length < 1) await sleep(10)
        })(),
        'member_added'
      )

      const tab2 = cluster.pusher(b, ada)
      const second: any = await subscribed(tab2.subscribe('presence-room'))
      // Every node's subscription_succeeded lists the same members
      assert.deepEqual(second.members, first.members)
      assert.equal(second.count, 2)

      tab1.disconnect()
      const subscriptions = async () =>
        (await c.server.state.channel('presence-room')).subscriptionCount
      await within(
        (async () => {
          while ((await subscriptions()) > 2) await sleep(10)
        })(),
        'the first tab to leave',
        5000
      )
      assert.equal((await c.server.state.channel('presence-room')).userCount, 2)
      tab2.disconnect()
      await settle(() => seen.length >= 2, 'member_removed')

      assert.deepEqual(seen, [
        { event: 'pusher:member_added', data: { id: 'ada', info: { n: 'Ada' } } },
        { event: 'pusher:member_removed', data: { id: 'ada', info: { n: 'Ada' } } },
      ])
    })

    test('the HTTP API of a node without sockets answers for the whole cluster', async ({
      assert,
    }) => {
      const [a, b, c] = cluster.nodes
      const one = { member: { user_id: '1' } }
      await Promise.all([
        subscribed(cluster.pusher(a, one).subscribe('presence-room')),
        subscribed(cluster.pusher(b, one).subscribe('presence-room')),
        subscribed(cluster.pusher(b, { member: { user_id: '2' } }).subscribe('presence-room')),
        subscribed(cluster.pusher(a).subscribe('news')),
        subscribed(cluster.pusher(b).subscribe('news')),
      ])
      assert.equal(c.server.sockets.size, 0)

      const get = async (path: string, params?: object) => {
        const response = await c.sdk.get({ path, params })
        return response.json()
      }
      assert.deepEqual(await get('/channels'), { channels: { 'news': {}, 'presence-room': {} } })
      assert.deepEqual(
        await get('/channels', { filter_by_prefix: 'presence-', info: 'user_count' }),
        {
          channels: { 'presence-room': { user_count: 2 } },
        }
      )
      assert.deepEqual(
        await get('/channels/presence-room', { info: 'user_count,subscription_count' }),
        { occupied: true, user_count: 2, subscription_count: 3 }
      )
      assert.deepEqual(await get('/channels/news', { info: 'subscription_count' }), {
        occupied: true,
        subscription_count: 2,
      })
      const { users } = await get('/channels/presence-room/users')
      assert.deepEqual(users.map((user: { id: string }) => user.id).sort(), ['1', '2'])
    })

    test('terminate_connections closes the user on every node', async ({ assert }) => {
      const [a, b, c] = cluster.nodes
      const signIn = async (node: (typeof cluster.nodes)[number], id: string) => {
        const client = await cluster.raw(node)
        const signed = node.sdk.authenticateUser(client.socketId, { id })
        client.send({ event: 'pusher:signin', data: signed })
        await client.next((frame) => frame.event === 'pusher:signin_success')
        return client
      }
      const onA = await signIn(a, '7')
      const onB = await signIn(b, '7')
      const other = await signIn(b, '8')

      await c.sdk.terminateUserConnections('7')
      assert.equal(await onA.closed(), 4009)
      assert.equal(await onB.closed(), 4009)
      await sleep(50)
      assert.isUndefined(other.closeCode)
    })

    test('a cache channel serves its last event to a subscriber on another node', async ({
      assert,
    }) => {
      const [a, b, c] = cluster.nodes
      await a.sdk.trigger('cache-prices', 'Price', { eur: 12 })
      const client = await cluster.raw(c)
      await cluster.subscribe(client, c, 'cache-prices')
      const frame = await client.next((f) => f.event === 'Price')
      assert.deepEqual(frame.data, { eur: 12 })

      const { cache } = await (
        await b.sdk.get({ path: '/channels/cache-prices', params: { info: 'cache' } })
      ).json()
      assert.equal(cache.data, JSON.stringify({ eur: 12 }))
    })

    test("a node closing removes its own state only, and its members leave every node's list", async ({
      assert,
    }) => {
      const [a, b] = cluster.nodes
      const onA = await cluster.raw(a)
      await cluster.subscribe(onA, a, 'presence-room', { user_id: 'gone' })
      await cluster.subscribe(onA, a, 'news')
      const onB = await cluster.raw(b)
      await cluster.subscribe(onB, b, 'presence-room', { user_id: 'stays' })
      await cluster.subscribe(onB, b, 'news')

      await a.server.close()
      const removed = await onB.next((f) => f.event === 'pusher_internal:member_removed')
      assert.deepEqual(removed.data, { user_id: 'gone' })
      assert.deepEqual([...(await b.server.state.members('presence-room')).keys()], ['stays'])
      assert.deepEqual(await b.server.state.channel('news'), { subscriptionCount: 1 })
    })
  })
}
