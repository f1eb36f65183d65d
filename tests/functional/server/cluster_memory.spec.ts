import { test } from '@japa/runner'
import { TestCluster, APP } from '../../helpers/test_cluster.ts'
import { clusterSuite } from '../../helpers/cluster_suite.ts'
import { LocalDriver } from '../../../src/drivers/local.ts'
import { MemoryState } from '../../../packages/engine/src/state/memory_state.ts'
import { BroadcastFailedException } from '../../../src/errors.ts'
import type { Bus } from '../../../packages/engine/src/bus/bus.ts'

clusterSuite('in memory', () => ({}))

test.group('Embedded server | in-memory cluster', () => {
  test('a node closing leaves nothing of its own in the shared store', async ({
    assert,
    cleanup,
  }) => {
    const cluster = await TestCluster.start(2)
    cleanup(() => cluster.close())
    const [a, b] = cluster.nodes
    const onA = await cluster.raw(a)
    await cluster.subscribe(onA, a, 'news')
    const nodeA = a.server.nodeId!
    assert.isTrue(cluster.store.nodes.has(nodeA))

    await a.server.close()
    assert.isFalse(cluster.store.nodes.has(nodeA))
    assert.deepEqual(await b.server.state.channel('news'), { subscriptionCount: 0 })
  })
})

test.group('Embedded server | presence member limit across nodes', () => {
  test('maxPresenceMembers counts the members of every node', async ({ assert, cleanup }) => {
    const cluster = await TestCluster.start(3, { limits: { maxPresenceMembers: 2 } })
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
      logger: { error: (_details, message) => errors.push(message), warn: () => {} },
    })
    const { port } = await driver.listen(0, '127.0.0.1')
    cleanup(() => driver.close())
    const cluster = new TestCluster()
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
