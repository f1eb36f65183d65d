import { test } from '@japa/runner'
import { TestCluster } from '../../helpers/test_cluster.ts'
import { LEAVE_DELAY, signIn, until, watch, watchlistSuite } from '../../helpers/watchlist_suite.ts'

watchlistSuite('one node', 1, () => ({}))
watchlistSuite('three nodes (memory)', 3, () => ({}))

test.group('Watchlists | bounds', (group) => {
  let cluster: TestCluster
  group.each.setup(async () => {
    // Room in a sign-in for 10,000 ids (the default message limit allows some 1,500)
    cluster = await TestCluster.start(1, {
      limits: { maxMessageBytes: 100_000 },
      leaveEventDelay: LEAVE_DELAY,
    })
    return () => cluster.close()
  })

  test('a watchlist of 10,000 ids is cut to its first 100 with a 4302 error, at the cost of 100', async ({
    assert,
  }) => {
    const [node] = cluster.nodes
    const ids = Array.from({ length: 10_000 }, (_, i) => String(i))
    // What the watchlist asks of the state: one look-up per id kept
    let lookups = 0
    const state = node.server.state
    const hasMember = state.hasMember.bind(state)
    state.hasMember = (channel, userId) => (lookups++, hasMember(channel, userId))
    const client = await cluster.raw(node)
    client.send({
      event: 'pusher:signin',
      data: node.sdk.authenticateUser(client.socketId, { id: 'w', watchlist: ids } as any),
    })
    const error = await client.next((frame) => frame.event === 'pusher:error')
    assert.equal(error.data.code, 4302)
    const initial = await client.next((frame) => frame.event === 'pusher_internal:watchlist_events')
    const events = initial.data.events
    assert.deepEqual(events, [{ name: 'offline', user_ids: ids.slice(0, 100) }])
    assert.equal(node.server.local.watchers.size, 100)
    assert.equal(lookups, 100)
  })

  test('a sign-in replayed in a loop on one socket keeps its first watchlist and costs no look-ups', async ({
    assert,
  }) => {
    const [node] = cluster.nodes
    let lookups = 0
    const state = node.server.state
    const hasMember = state.hasMember.bind(state)
    state.hasMember = (channel, userId) => (lookups++, hasMember(channel, userId))
    const client = await cluster.raw(node)
    const signed = node.sdk.authenticateUser(client.socketId, {
      id: 'w',
      watchlist: ['a', 'b'],
    } as any)
    for (let i = 0; i < 50; i++) client.send({ event: 'pusher:signin', data: signed })
    await until(
      () => client.frames.filter((f) => f.event === 'pusher:signin_success').length === 50,
      'every answer'
    )
    assert.lengthOf(
      client.frames.filter((f) => f.event === 'pusher_internal:watchlist_events'),
      1
    )
    assert.equal(lookups, 2)
    assert.equal(node.server.local.watchers.size, 2)
  })

  test('sign-ins make no lifecycle event: "#online-<id>" is the server\'s own', async ({
    assert,
  }) => {
    const [node] = cluster.nodes
    const events: string[] = []
    node.server.events.on('lifecycle', (event) => events.push(`${event.name} ${event.channel}`))
    const watcher = cluster.pusher(node, { user: { id: 'w', watchlist: ['u'] } })
    const { seen } = watch(watcher)
    watcher.signin()
    const watched = await signIn(cluster, node, 'u')
    await until(() => seen.includes('online:u'), 'online')
    watched.disconnect()
    await until(() => seen.includes('offline:u'), 'offline')
    assert.deepEqual(
      events.filter((event) => event.includes('#')),
      []
    )
  })
})
