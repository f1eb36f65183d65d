import { test } from '@japa/runner'
import type { EmbeddedServerOptions } from '../../packages/engine/src/embedded_server.ts'
import { ServerEvents } from '../../packages/engine/src/server_events.ts'
import type { LifecycleEvent } from '@adonisjs-broadcasting/engine'
import { TestCluster, type Node } from './test_cluster.ts'
import { connected, once, sleep, within } from './server_clients.ts'
import { subscribed } from './cluster_suite.ts'

/**
 * Long enough for a reconnect of pusher-js on a busy machine, short
 * enough to wait for in every test
 */
const LEAVE_DELAY = 0.8

type Recorded = LifecycleEvent & { node: number }

/**
 * Waits until "done" holds, then past the leave delay, so a late or
 * duplicate event would show
 */
async function settle(done: () => boolean, what: string) {
  await within(
    (async () => {
      while (!done()) await sleep(10)
    })(),
    what,
    5000
  )
  await sleep(LEAVE_DELAY * 1000 + 300)
}

/**
 * The lifecycle events every cluster must report once, on "size" nodes
 * sharing what "options" gives them (memory or Redis). Clients spread over
 * the nodes, so on three nodes the deciding node is not the one that saw
 * the first subscriber.
 */
export function lifecycleSuite(
  name: string,
  size: number,
  options: () => Partial<EmbeddedServerOptions>,
  hooks: { setup?: () => Promise<() => Promise<void>> } = {}
) {
  test.group(`Lifecycle events | ${name}`, (group) => {
    if (hooks.setup) group.setup(hooks.setup)
    let cluster: TestCluster
    let events: Recorded[]
    let node: (index: number) => Node

    group.each.setup(async () => {
      events = []
      cluster = new TestCluster()
      const shared = options()
      for (let index = 0; index < size; index++) {
        const hub = new ServerEvents()
        hub.on('lifecycle', (event) => events.push({ ...event, node: index }))
        await cluster.addNode({
          ...shared,
          leaveEventDelay: LEAVE_DELAY,
          clientEventsAllowed: () => true,
          subscriptionCount: (channel) => channel.startsWith('counted-'),
          events: hub,
        })
      }
      node = (index) => cluster.nodes[index % size]
      return () => cluster.close()
    })

    const named = (...names: string[]) =>
      events.filter((event) => names.includes(event.name)).map(({ node: _n, ...event }) => event)

    test('a channel is occupied by its first subscriber anywhere and vacated after its last', async ({
      assert,
    }) => {
      const first = cluster.pusher(node(0))
      await subscribed(first.subscribe('news'))
      const second = cluster.pusher(node(1))
      await subscribed(second.subscribe('news'))
      first.disconnect()
      await sleep(LEAVE_DELAY * 1000 + 200)
      assert.deepEqual(named('channel_occupied', 'channel_vacated'), [
        { name: 'channel_occupied', channel: 'news' },
      ])

      second.disconnect()
      await settle(() => named('channel_vacated').length > 0, 'channel_vacated')
      assert.deepEqual(named('channel_occupied', 'channel_vacated'), [
        { name: 'channel_occupied', channel: 'news' },
        { name: 'channel_vacated', channel: 'news' },
      ])
      // Decided by the node whose leave emptied it
      assert.equal(events.find((event) => event.name === 'channel_vacated')!.node, 1 % size)
    })

    test('a member is added on its first connection anywhere and removed after its last', async ({
      assert,
    }) => {
      const ada = { member: { user_id: 'ada', user_info: { n: 'Ada' } } }
      const tab1 = cluster.pusher(node(0), ada)
      await subscribed(tab1.subscribe('presence-room'))
      const tab2 = cluster.pusher(node(1), ada)
      await subscribed(tab2.subscribe('presence-room'))
      const bob = cluster.pusher(node(2), { member: { user_id: 'bob' } })
      await subscribed(bob.subscribe('presence-room'))

      tab1.disconnect()
      await sleep(LEAVE_DELAY * 1000 + 200)
      tab2.disconnect()
      await settle(() => named('member_removed').length > 0, 'member_removed')
      bob.disconnect()
      await settle(() => named('channel_vacated').length > 0, 'channel_vacated')

      const channel = 'presence-room'
      assert.deepEqual(
        events.map(({ node: _n, ...event }) => event),
        [
          { name: 'channel_occupied', channel },
          { name: 'member_added', channel, user_id: 'ada' },
          { name: 'member_added', channel, user_id: 'bob' },
          { name: 'member_removed', channel, user_id: 'ada' },
          { name: 'channel_vacated', channel },
          { name: 'member_removed', channel, user_id: 'bob' },
        ]
      )
    })

    test('a page reload within the delay makes no event: neither the leave nor the return', async ({
      assert,
    }) => {
      const ada = { member: { user_id: 'ada' } }
      const page = cluster.pusher(node(0), ada)
      await subscribed(page.subscribe('presence-room'))
      page.disconnect()
      // The reloaded page lands on another node
      const reloaded = cluster.pusher(node(1), ada)
      await subscribed(reloaded.subscribe('presence-room'))
      await sleep(LEAVE_DELAY * 1000 + 300)

      const channel = 'presence-room'
      assert.deepEqual(
        named('channel_occupied', 'channel_vacated', 'member_added', 'member_removed'),
        [
          { name: 'channel_occupied', channel },
          { name: 'member_added', channel, user_id: 'ada' },
        ]
      )
    })

    test("a signed-in user's own channel is the server's plumbing: never reported", async ({
      assert,
    }) => {
      const signedIn = cluster.pusher(node(0), { user: { id: 'ada' } })
      await connected(signedIn)
      const userChannelJoined = within(
        new Promise<void>((resolve) =>
          signedIn.connection.bind('message', (message: any) => {
            const joined = message.event === 'pusher_internal:subscription_succeeded'
            if (joined && message.channel === '#server-to-user-ada') resolve()
          })
        ),
        'the user channel'
      )
      signedIn.signin()
      await userChannelJoined
      await subscribed(signedIn.subscribe('news'))
      await sleep(200)
      signedIn.disconnect()
      await settle(() => named('channel_vacated').length > 0, 'channel_vacated')
      assert.deepEqual(
        events.map((event) => event.channel),
        ['news', 'news']
      )
    })

    test('client events are reported with the sender, its user id on presence channels', async ({
      assert,
    }) => {
      const sender = cluster.pusher(node(0), { member: { user_id: 'ada' } })
      const receiver = cluster.pusher(node(1), { member: { user_id: 'bob' } })
      const privateChannel = sender.subscribe('private-chat')
      const presenceChannel = sender.subscribe('presence-chat')
      await Promise.all([subscribed(privateChannel), subscribed(presenceChannel)])
      const heard = once(receiver.subscribe('presence-chat'), 'client-typing')
      await subscribed(receiver.channel('presence-chat'))
      const socketId = await connected(sender)

      privateChannel.trigger('client-typing', { x: 1 })
      presenceChannel.trigger('client-typing', { x: 2 })
      await heard
      await settle(() => named('client_event').length >= 2, 'client_event')

      assert.deepEqual(named('client_event'), [
        {
          name: 'client_event',
          channel: 'private-chat',
          event: 'client-typing',
          data: '{"x":1}',
          socket_id: socketId,
        },
        {
          name: 'client_event',
          channel: 'presence-chat',
          event: 'client-typing',
          data: '{"x":2}',
          socket_id: socketId,
          user_id: 'ada',
        },
      ])
    })

    test('cache_miss is reported for an empty cache channel, once for a burst of clients', async ({
      assert,
    }) => {
      const clients = [0, 0, 0].map(() => cluster.pusher(node(0)))
      await Promise.all(
        clients.map((client) => once(client.subscribe('cache-score'), 'pusher:cache_miss'))
      )
      await settle(() => named('cache_miss').length > 0, 'cache_miss')
      assert.deepEqual(named('cache_miss'), [{ name: 'cache_miss', channel: 'cache-score' }])
    })

    test('pusher-js gets pusher:subscription_count on a counted channel, whichever node', async ({
      assert,
    }) => {
      const first = cluster.pusher(node(0))
      const counted = first.subscribe('counted-room')
      const counts: number[] = []
      counted.bind('pusher:subscription_count', (data: any) => counts.push(data.subscription_count))
      await subscribed(counted)
      await within(
        (async () => {
          while (!counts.includes(1)) await sleep(10)
        })(),
        'the first count'
      )

      const second = cluster.pusher(node(1))
      const seen = once(second.subscribe('counted-room'), 'pusher:subscription_count')
      assert.deepEqual(await seen, { subscription_count: 2 })
      await within(
        (async () => {
          while (!counts.includes(2)) await sleep(10)
        })(),
        'the second count'
      )
      assert.equal((counted as any).subscriptionCount, 2)

      // Not counted: nothing sent
      const other = first.subscribe('news')
      const otherCounts: unknown[] = []
      other.bind('pusher:subscription_count', (data: unknown) => otherCounts.push(data))
      await subscribed(other)
      await sleep(200)
      assert.deepEqual(otherCounts, [])
      assert.deepEqual(
        named('subscription_count')
          .map((event: any) => event.subscription_count)
          .sort(),
        [1, 2]
      )
    })
  })
}
