import { test } from '@japa/runner'
import { TestCluster } from '../../helpers/test_cluster.ts'
import { sleep } from '../../helpers/server_clients.ts'

/**
 * What one client re-subscribing in a loop costs the channel's other
 * clients: their frames are bounded whatever the loop's speed
 */
test.group('Embedded server | subscribe churn', (group) => {
  let cluster: TestCluster | undefined
  group.each.teardown(async () => {
    await cluster?.close()
    cluster = undefined
  })

  test('a guest re-subscribing a public channel costs a viewer at most one count per second', async ({
    assert,
  }) => {
    cluster = await TestCluster.start(1, {
      subscriptionCount: true,
      limits: { subscriptionsPerSecond: 0 },
    })
    const [node] = cluster.nodes
    const viewer = await cluster.raw(node)
    await cluster.subscribe(viewer, node, 'live')
    const churner = await cluster.raw(node)
    const started = Date.now()
    // Each subscription settles before it is dropped: every pair is a real change
    for (let i = 0; i < 300; i++) {
      await cluster.subscribe(churner, node, 'live')
      churner.send({ event: 'pusher:unsubscribe', data: { channel: 'live' } })
    }
    await sleep(1200)
    const seconds = (Date.now() - started) / 1000
    const counts = viewer.of('pusher_internal:subscription_count')
    // Its own subscription's count, then at most one per interval
    assert.isAtMost(counts.length, Math.ceil(seconds) + 2)
    assert.deepEqual(counts.at(-1)!.data, { subscription_count: 1 })
  })

  test('a newcomer gets the count even when a leave left it where it was', async ({ assert }) => {
    cluster = await TestCluster.start(1, { subscriptionCount: true })
    const [node] = cluster.nodes
    const [viewer, leaving, trigger, newcomer] = await Promise.all(
      Array.from({ length: 4 }, () => cluster!.raw(node))
    )
    await cluster.subscribe(viewer, node, 'live')
    await cluster.subscribe(leaving, node, 'live')
    await sleep(1200)

    // A change opens an interval; within it one leaves and one joins
    const seen = viewer.of('pusher_internal:subscription_count').length
    await cluster.subscribe(trigger, node, 'live')
    await viewer.next(
      (f) =>
        f.event === 'pusher_internal:subscription_count' &&
        viewer.frames.filter((g) => g.event === f.event).length > seen
    )
    leaving.send({ event: 'pusher:unsubscribe', data: { channel: 'live' } })
    await cluster.subscribe(newcomer, node, 'live')

    const count = await newcomer.next((f) => f.event === 'pusher_internal:subscription_count')
    assert.deepEqual(count.data, { subscription_count: 3 })
  })

  test('subscribe requests past the burst are refused with 429, then refill', async ({
    assert,
  }) => {
    cluster = await TestCluster.start(1, {
      limits: { subscriptionsPerSecond: 10, maxChannelsPerSocket: 5 },
    })
    const [node] = cluster.nodes
    const client = await cluster.raw(node)
    for (let i = 0; i < 8; i++) {
      client.send({ event: 'pusher:subscribe', data: { channel: `c${i}` } })
    }
    await client.next((f) => f.channel === 'c7' && f.event === 'pusher:subscription_error')
    const refused = client.of('pusher:subscription_error')
    assert.deepEqual(
      refused.map((f) => [f.channel, f.data.status]),
      [
        ['c5', 429],
        ['c6', 429],
        ['c7', 429],
      ]
    )
    assert.match(refused[0].data.error, /10 per second/)

    // Two tenths of a second later, a slot is back (the channel limit is free too)
    client.send({ event: 'pusher:unsubscribe', data: { channel: 'c0' } })
    await sleep(250)
    await cluster.subscribe(client, node, 'c5')
  })

  test('a member re-subscribing in a loop makes no member_added or member_removed', async ({
    assert,
  }) => {
    cluster = await TestCluster.start(1)
    const [node] = cluster.nodes
    const watcher = await cluster.raw(node)
    await cluster.subscribe(watcher, node, 'presence-team', { user_id: 'watcher' })
    const churner = await cluster.raw(node)
    await cluster.subscribe(churner, node, 'presence-team', { user_id: 'ada' })
    const signed = node.sdk.authorizeChannel(churner.socketId, 'presence-team', {
      user_id: 'ada',
    })
    for (let i = 0; i < 50; i++) {
      churner.send({ event: 'pusher:unsubscribe', data: { channel: 'presence-team' } })
      churner.send({ event: 'pusher:subscribe', data: { channel: 'presence-team', ...signed } })
      await sleep(2)
    }
    await sleep(200)
    const membership = watcher.frames.filter((f) => f.event.startsWith('pusher_internal:member_'))
    assert.deepEqual(
      membership.map((f) => `${f.event} ${f.data.user_id}`),
      ['pusher_internal:member_added ada']
    )
  })
})
