import { test } from '@japa/runner'
import { MemoryCluster, APP } from '../../helpers/memory_cluster.ts'
import { connected, once, sleep, within } from '../../helpers/server_clients.ts'
import { LocalDriver } from '../../../src/drivers/local.ts'
import { MemoryState } from '../../../src/server/state/memory_state.ts'
import { BroadcastFailedException } from '../../../src/errors.ts'
import type { Bus } from '../../../src/server/bus/bus.ts'

/**
 * Resolves once a pusher-js channel is subscribed
 */
function subscribed(channel: any) {
  return once(channel, 'pusher:subscription_succeeded')
}

/**
 * Records the events of a pusher-js channel after its subscription
 */
function record(channel: any) {
  const events: Array<{ event: string; data: any }> = []
  channel.bind_global((event: string, data: any) => {
    if (event !== 'pusher:subscription_succeeded') events.push({ event, data })
  })
  return events
}

test.group('Embedded server | three nodes in one process', (group) => {
  let cluster: MemoryCluster
  group.each.setup(async () => {
    cluster = await MemoryCluster.start(3)
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
    await sleep(150)
    for (const events of received) {
      assert.deepEqual(
        events.map((e) => e.data.n),
        [1, 2, 3]
      )
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
    await sleep(150)
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
    await sleep(150)
    assert.equal((await c.server.state.channel('presence-room')).userCount, 2)
    tab2.disconnect()
    await sleep(150)

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
    const nodeA = a.server.nodeId!

    await a.server.close()
    const removed = await onB.next((f) => f.event === 'pusher_internal:member_removed')
    assert.deepEqual(removed.data, { user_id: 'gone' })
    assert.isFalse(cluster.store.nodes.has(nodeA))
    assert.deepEqual([...(await b.server.state.members('presence-room')).keys()], ['stays'])
    assert.deepEqual(await b.server.state.channel('news'), { subscriptionCount: 1 })
  })
})

test.group('Embedded server | presence member limit across nodes', () => {
  test('maxPresenceMembers counts the members of every node', async ({ assert, cleanup }) => {
    const cluster = await MemoryCluster.start(3, { limits: { maxPresenceMembers: 2 } })
    cleanup(() => cluster.close())
    const [a, b, c] = cluster.nodes
    await cluster.subscribe(await cluster.raw(a), a, 'presence-room', { user_id: '1' })
    await cluster.subscribe(await cluster.raw(b), b, 'presence-room', { user_id: '2' })

    const third = await cluster.raw(c)
    third.send({
      event: 'pusher:subscribe',
      data: {
        channel: 'presence-room',
        ...c.sdk.authorizeChannel(third.socketId, 'presence-room', { user_id: '3' }),
      },
    })
    const refused = await third.next((f) => f.event === 'pusher:subscription_error')
    assert.equal(refused.data.status, 403)
    assert.equal(refused.data.error, 'Presence channel "presence-room" is full')

    // Another tab of a member still fits
    const again = await cluster.raw(c)
    await cluster.subscribe(again, c, 'presence-room', { user_id: '1' })
    assert.deepEqual(await c.server.state.channel('presence-room'), {
      subscriptionCount: 3,
      userCount: 2,
    })
  })
})

test.group('Embedded server | a bus that fails', () => {
  test('emits reach local sockets, and fail loudly for the other nodes', async ({
    assert,
    cleanup,
  }) => {
    const failing: Bus = {
      nodeId: 'x',
      start: async () => {},
      send: async () => {
        throw new Error('bus down')
      },
      close: async () => {},
    }
    const errors: string[] = []
    const driver = new LocalDriver({
      ...APP,
      cluster: (nodeId) => ({ bus: failing, state: new MemoryState(nodeId) }),
      logger: { error: (_details, message) => errors.push(message) },
    })
    const { port } = await driver.listen(0, '127.0.0.1')
    cleanup(() => driver.close())
    const cluster = new MemoryCluster()
    const node = { server: driver.server, port, sdk: undefined as any }
    const client = await cluster.raw(node)
    cleanup(() => client.ws.terminate())
    client.send({ event: 'pusher:subscribe', data: { channel: 'news' } })
    await client.next((f) => f.event === 'pusher_internal:subscription_succeeded')

    await assert.rejects(
      () => driver.send([{ channels: ['news'], event: 'Headline', data: '{}' }]),
      BroadcastFailedException
    )
    const frame = await client.next((f) => f.event === 'Headline')
    assert.equal(frame.channel, 'news')
    assert.include(errors, 'broadcast server: bus send failed')
  })
})
