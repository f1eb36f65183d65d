import { test } from '@japa/runner'
import type { EmbeddedServerOptions } from '../../packages/engine/src/embedded_server.ts'
import { TestCluster, type Node } from './test_cluster.ts'
import { sleep, within } from './server_clients.ts'
import { ONLINE_CHANNEL_PREFIX } from '../../packages/engine/src/channel_name.ts'

type PusherClient = ReturnType<TestCluster['pusher']>

/**
 * The leave-event delay of these tests' nodes, in seconds: an offline
 * waits for it, as a presence member's removal does
 */
export const LEAVE_DELAY = 0.3

/**
 * A pusher-js client of the node signed in as the user, with its
 * watchlist; resolves once "pusher:signin_success" came
 */
export async function signIn(
  cluster: TestCluster,
  node: Node,
  id: string,
  watchlist?: string[]
): Promise<PusherClient> {
  const client = cluster.pusher(node, { user: { id, ...(watchlist ? { watchlist } : {}) } })
  const success = new Promise<void>((resolve) =>
    client.connection.bind('message', (message: { event: string }) => {
      if (message.event === 'pusher:signin_success') resolve()
    })
  )
  client.signin()
  await within(success, `the sign-in of ${id}`, 5000)
  // Online for the cluster: its join follows the sign-in's answer
  const channel = `${ONLINE_CHANNEL_PREFIX}${id}`
  await within(
    (async () => {
      while (!(await node.server.state.hasMember(channel, id))) await sleep(10)
    })(),
    `${id} online`,
    5000
  )
  return client
}

/**
 * What a client's "pusher.user.watchlist" tells, as "online:1,2" or
 * "offline:3", and how many "pusher_internal:watchlist_events" frames
 * brought it
 */
export function watch(client: PusherClient) {
  const seen: string[] = []
  const frames: unknown[] = []
  for (const name of ['online', 'offline']) {
    client.user.watchlist.bind(name, (event: { user_ids: string[] }) => {
      seen.push(`${name}:${[...event.user_ids].sort().join(',')}`)
    })
  }
  client.connection.bind('message', (message: { event: string; data: unknown }) => {
    if (message.event === 'pusher_internal:watchlist_events') frames.push(message.data)
  })
  return { seen, frames }
}

/**
 * Waits until "done" holds, then a little longer, so a duplicate or a
 * late event would show
 */
export async function until(done: () => boolean, what: string, timeoutMs = 5000) {
  await within(
    (async () => {
      while (!done()) await sleep(10)
    })(),
    what,
    timeoutMs
  )
  await sleep(100)
}

/**
 * Watchlists (pusher-js "pusher.user.watchlist") on "size" nodes that act
 * as one server: run on one node, on three in memory and on three over
 * Redis. With three, the watcher and the watched users sit on different
 * nodes.
 */
export function watchlistSuite(
  name: string,
  size: number,
  options: () => Partial<EmbeddedServerOptions>,
  hooks: { setup?: () => Promise<() => Promise<void>> } = {}
) {
  test.group(`Watchlists | ${name}`, (group) => {
    if (hooks.setup) group.setup(hooks.setup)
    let cluster: TestCluster
    const node = (index: number) => cluster.nodes[index % cluster.nodes.length]
    group.each.setup(async () => {
      cluster = await TestCluster.start(size, { leaveEventDelay: LEAVE_DELAY, ...options() })
      return () => cluster.close()
    })

    test('after the sign-in, the state of the watched users in one frame', async ({ assert }) => {
      await signIn(cluster, node(1), '2')
      const watcher = cluster.pusher(node(0), { user: { id: '1', watchlist: ['2', '3'] } })
      const { seen, frames } = watch(watcher)
      watcher.signin()
      await until(() => seen.length >= 2, 'the initial state')
      assert.deepEqual(seen, ['online:2', 'offline:3'])
      assert.lengthOf(frames, 1)
    })

    test('online when a watched user signs in on another node, offline after their last socket', async ({
      assert,
    }) => {
      const watcher = cluster.pusher(node(0), { user: { id: '1', watchlist: ['2'] } })
      const { seen } = watch(watcher)
      watcher.signin()
      await until(() => seen.length >= 1, 'the initial state')

      const tab1 = await signIn(cluster, node(1), '2')
      await until(() => seen.length >= 2, 'online')
      const tab2 = await signIn(cluster, node(2), '2')
      tab1.disconnect()
      // Past the leave delay: still online, a socket of theirs remains
      await sleep(LEAVE_DELAY * 1000 + 300)
      assert.deepEqual(seen, ['offline:2', 'online:2'])

      tab2.disconnect()
      await until(() => seen.length >= 3, 'offline').catch((e) => {
        throw new Error(`${e.message} ${JSON.stringify(seen)}`)
      })
      assert.deepEqual(seen, ['offline:2', 'online:2', 'offline:2'])
    })

    test('a page reload within the leave delay makes no offline and no online', async ({
      assert,
    }) => {
      const first = await signIn(cluster, node(1), '2')
      const watcher = cluster.pusher(node(0), { user: { id: '1', watchlist: ['2'] } })
      const { seen } = watch(watcher)
      watcher.signin()
      await until(() => seen.length >= 1, 'the initial state')

      first.disconnect()
      await signIn(cluster, node(2), '2')
      await sleep(LEAVE_DELAY * 1000 + 300)
      assert.deepEqual(seen, ['online:2'])
    })

    test('a client that signs in and out in a loop leaves nothing behind', async ({ assert }) => {
      for (let round = 0; round < 10; round++) {
        const client = await signIn(cluster, node(round), `loop-${round % 3}`, ['2', '3', '4'])
        client.disconnect()
      }
      const nobody = async () => {
        for (const { server } of cluster.nodes) {
          if (server.local.watchers.size > 0 || server.sockets.size > 0) return false
          // What the bus still holds for this node, lingering aside
          const interest = (server.local.interest as any)?.stats?.()
          if (interest && interest.subscribed > interest.lingering) return false
          for (const id of ['loop-0', 'loop-1', 'loop-2']) {
            if (await server.state.hasMember(`${ONLINE_CHANNEL_PREFIX}${id}`, id)) return false
          }
        }
        return true
      }
      await within(
        (async () => {
          while (!(await nobody())) await sleep(20)
        })(),
        'every watcher and sign-in gone',
        5000
      )
      for (const { server } of cluster.nodes) {
        assert.equal(
          (await server.state.channel(`${ONLINE_CHANNEL_PREFIX}loop-0`)).subscriptionCount,
          0
        )
      }
    })
  })
}
