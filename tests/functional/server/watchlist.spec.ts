import { test } from '@japa/runner'
import { TestCluster } from '../../helpers/test_cluster.ts'
import { watchlistSuite } from '../../helpers/watchlist_suite.ts'

watchlistSuite('one node', 1, () => ({}))
watchlistSuite('three nodes (memory)', 3, () => ({}))

test.group('Watchlists | bounds', (group) => {
  let cluster: TestCluster
  group.each.setup(async () => {
    cluster = await TestCluster.start(1)
    return () => cluster.close()
  })

  test('a watchlist over 100 ids is cut to its first 100 with a 4302 error', async ({ assert }) => {
    const [node] = cluster.nodes
    const ids = Array.from({ length: 1000 }, (_, i) => String(i))
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
  })
})
