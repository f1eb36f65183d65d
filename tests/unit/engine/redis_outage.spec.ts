import { randomUUID } from 'node:crypto'
import { test } from '@japa/runner'
import { Redis } from 'ioredis'
import type { BusMessage } from '../../../packages/engine/src/bus/bus.ts'
import { createRedisAdapter } from '../../../packages/engine/src/cluster/redis_adapter.ts'
import type { RedisBus } from '../../../packages/engine/src/bus/redis_bus.ts'
import { startRedisServer, type RedisTestServer } from '../../helpers/redis_server.ts'

let server: RedisTestServer

/**
 * Retries "work" until it resolves: Redis is coming back
 */
async function eventually<T>(work: () => Promise<T>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await work()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  }
}

test.group('Redis adapter: Redis down and restarted empty', (group) => {
  group.setup(async () => {
    server = await startRedisServer()
    return () => server.stop()
  })

  test('calls fail fast naming Redis; after an empty restart, nodes re-register and converge', async ({
    assert,
    cleanup,
  }) => {
    const prefix = `test-${randomUUID()}:`
    const app = new Redis(server.url, { lazyConnect: true })
    cleanup(async () => app.disconnect())

    // Each node re-applies its local memberships when told its registration was lost
    const memberships = [
      [
        ['presence-room', 's1', { id: 'u1', info: { n: 1 } }],
        ['news', 's1'],
      ],
      [['presence-room', 's2', { id: 'u2', info: { n: 2 } }]],
    ] as const
    const nodes = [0, 1].map((index) =>
      createRedisAdapter(app, {
        nodeId: `node${index}`,
        prefix,
      })
    )
    cleanup(async () => void (await Promise.all(nodes.map((node) => node.close()))))
    const rejoin = (index: number) =>
      Promise.all(
        memberships[index].map(([channel, socket, member]) =>
          nodes[index].state.join(channel, socket, member)
        )
      )

    const received: BusMessage[] = []
    await nodes[0].bus.start(() => {})
    await nodes[1].bus.start((message) => received.push(message))
    nodes[1].bus.interest.hold('back')
    await nodes[1].bus.interest.ready('back')
    for (const index of [0, 1]) {
      await nodes[index].state.heartbeat()
      await rejoin(index)
    }

    await server.stop()
    const started = Date.now()
    await assert.rejects(
      () => nodes[0].bus.send({ type: 'terminate_user', userId: '1' }),
      /Redis bus: send failed/
    )
    await assert.rejects(
      () => nodes[0].state.join('news', 's9'),
      /Redis channel state: join failed/
    )
    await assert.rejects(() => nodes[1].state.heartbeat(), /Redis channel state: heartbeat failed/)
    assert.isBelow(Date.now() - started, 1000)
    assert.equal(app.status, 'wait')

    await server.restart()
    for (const index of [0, 1]) {
      // Redis came back empty: the heartbeat says the registration was lost
      assert.isTrue(await eventually(() => nodes[index].state.heartbeat()))
      await rejoin(index)
    }
    for (const node of nodes) {
      assert.deepEqual(
        await node.state.members('presence-room'),
        new Map<string, unknown>([
          ['u1', { n: 1 }],
          ['u2', { n: 2 }],
        ])
      )
      assert.deepEqual(
        await node.state.channels(),
        new Map([
          ['presence-room', { subscriptionCount: 2, userCount: 2 }],
          ['news', { subscriptionCount: 1 }],
        ])
      )
    }

    // The subscriber subscribed again: the bus carries messages again
    const fence: BusMessage = { type: 'publish', channel: 'back', frame: '' }
    await eventually(async () => {
      await nodes[0].bus.send(fence)
      if (!received.length) throw new Error('not yet')
    })
    assert.deepEqual(received[0], fence)
  })
})

test.group('Redis bus: a reconnect', (group) => {
  group.setup(async () => {
    server = await startRedisServer()
    return () => server.stop()
  })

  test('subscribes every held channel again in one command, those held meanwhile too', async ({
    assert,
    cleanup,
  }) => {
    const prefix = `test-${randomUUID()}:`
    const app = new Redis(server.url, { lazyConnect: true })
    cleanup(async () => app.disconnect())
    const [node, sender] = [0, 1].map((index) =>
      createRedisAdapter(app, { nodeId: `node${index}`, prefix })
    )
    cleanup(async () => void (await Promise.all([node.close(), sender.close()])))
    const received = new Set<string>()
    await node.bus.start((message) => {
      if (message.type === 'publish') received.add(message.channel)
    })
    const { interest } = node.bus as RedisBus
    const channels = Array.from({ length: 300 }, (_, index) => `room-${index}`)
    for (const channel of channels) interest.hold(channel)
    await Promise.all(channels.map((channel) => interest.ready(channel)))
    const subscribes = interest.commands.subscribe

    await server.stop()
    // Held while Redis is away: it waits for the subscriber to be back
    interest.hold('meanwhile')
    const meanwhile = interest.ready('meanwhile')
    assert.isFalse(interest.receives('meanwhile'))
    await server.restart()
    await meanwhile

    const all = [...channels, 'meanwhile']
    await eventually(async () => {
      for (const channel of all) {
        if (!received.has(channel)) await sender.bus.send({ type: 'publish', channel, frame: '' })
      }
      if (received.size < all.length) throw new Error(`${received.size} of ${all.length}`)
    })
    // The one for "meanwhile", queued while away, and one for all of them
    assert.isAtMost(interest.commands.subscribe - subscribes, 2)
    for (const channel of all) assert.isTrue(interest.receives(channel), channel)
  })
})
