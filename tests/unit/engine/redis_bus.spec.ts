import { randomUUID } from 'node:crypto'
import { test } from '@japa/runner'
import { Redis } from 'ioredis'
import type { BusMessage } from '../../../packages/engine/src/bus/bus.ts'
import {
  RedisBus,
  parseEnvelope,
  type RedisBusOptions,
} from '../../../packages/engine/src/bus/redis_bus.ts'
import { RedisKeys } from '../../../packages/engine/src/state/redis_keys.ts'
import { busContract } from '../../helpers/bus_contract.ts'
import { startRedisServer, type RedisTestServer } from '../../helpers/redis_server.ts'

let server: RedisTestServer

const startServer = async () => {
  server = await startRedisServer()
  return () => server.stop()
}

/**
 * Buses under a fresh prefix, duplicated from a connection that itself
 * never connects (lazy): the bus must not use the app's connection
 */
function makeBuses(
  nodes: number,
  logger?: RedisBusOptions['logger'],
  routing?: RedisBusOptions['routing']
) {
  const prefix = `test-${randomUUID()}:`
  const base = new Redis(server.url, { lazyConnect: true })
  const buses = Array.from(
    { length: nodes },
    (_, index) => new RedisBus(base, { nodeId: `node${index}`, prefix, logger, routing })
  )
  return {
    prefix,
    base,
    buses,
    async cleanup() {
      await Promise.all(buses.map((bus) => bus.close()))
      base.disconnect()
    },
  }
}

busContract('RedisBus', async (nodes, routing) => makeBuses(nodes, undefined, routing), {
  setup: startServer,
})

test.group('RedisBus', (group) => {
  group.setup(startServer)

  test('a malformed message, or one on a channel not its own, is dropped and logged, never thrown', async ({
    assert,
    cleanup,
  }) => {
    const logged: string[] = []
    const made = makeBuses(1, {
      error: (_details: object, message: string) => logged.push(message),
    })
    cleanup(() => made.cleanup())
    const received: BusMessage[] = []
    let arrived!: () => void
    const fence = new Promise<void>((resolve) => (arrived = resolve))
    const [bus] = made.buses
    await bus.start((message) => {
      received.push(message)
      if (message.type === 'publish' && message.channel === 'fence') arrived()
    })
    assert.equal(made.base.status, 'wait')
    bus.interest.hold('fence')
    await bus.interest.ready('fence')

    const raw = new Redis(server.url)
    cleanup(async () => void (await raw.quit()))
    const channel = bus.key('fence')
    const garbage = [
      'not json',
      '42',
      'null',
      JSON.stringify({ origin: 'other' }),
      JSON.stringify({ origin: 'other', message: { type: 'publish', channel: 1, frame: '' } }),
      JSON.stringify({ origin: 'other', message: { type: 'unknown' } }),
      JSON.stringify({ origin: 7, message: { type: 'terminate_user', userId: '1' } }),
      // Valid, but for another channel than the one it came on
      JSON.stringify({ origin: 'other', message: { type: 'publish', channel: 'news', frame: '' } }),
      JSON.stringify({ origin: 'other', message: { type: 'terminate_user', userId: '1' } }),
    ]
    for (const message of garbage) await raw.spublish(channel, message)
    await raw.spublish(
      channel,
      JSON.stringify({ origin: 'other', message: { type: 'publish', channel: 'fence', frame: '' } })
    )
    await fence
    assert.deepEqual(received, [{ type: 'publish', channel: 'fence', frame: '' }])
    assert.lengthOf(logged, garbage.length)
    assert.match(logged[0], /malformed/)
  })

  test('sharded pub/sub: one channel per held channel, on its hash tag; a sender holds nothing', async ({
    assert,
    cleanup,
  }) => {
    const made = makeBuses(2)
    cleanup(() => made.cleanup())
    const [node, publisher] = made.buses
    await node.start(() => {})
    node.interest.hold('presence-room')
    node.interest.hold('#server-to-user-42')
    await Promise.all([
      node.interest.ready('presence-room'),
      node.interest.ready('#server-to-user-42'),
    ])
    // A process that serves no clients only sends: it never subscribes
    await publisher.send({ type: 'publish', channel: 'presence-room', frame: '' })
    await publisher.send({ type: 'terminate_user', userId: '42' })

    const raw = new Redis(server.url)
    cleanup(async () => void (await raw.quit()))
    const sharded = (await raw.call('PUBSUB', 'SHARDCHANNELS', `${made.prefix}*`)) as string[]
    assert.sameMembers(sharded, [node.key('presence-room'), node.key('#server-to-user-42')])
    assert.isTrue(node.key('presence-room').endsWith(':presence-room:bus'))
    assert.deepEqual(await raw.pubsub('CHANNELS', `${made.prefix}*`), [])
    // The bus key hashes as the channel's state keys do (Redis Cluster
    // hashes the first "{...}" of a key)
    const tag = (key: string) => key.slice(key.indexOf('{'), key.indexOf('}') + 1)
    const keys = new RedisKeys(made.prefix)
    for (const channel of ['presence-room', '#server-to-user-42']) {
      assert.match(tag(node.key(channel)), /^\{b\d+\}$/)
      assert.equal(tag(node.key(channel)), tag(keys.channel(channel)[0]))
    }
  })

  test('parseEnvelope keeps only the known fields', ({ assert }) => {
    const raw = JSON.stringify({
      origin: 'n',
      extra: 1,
      message: { type: 'terminate_user', userId: '9', more: true },
    })
    assert.deepEqual(parseEnvelope(raw), {
      origin: 'n',
      message: { type: 'terminate_user', userId: '9' },
    })
    assert.isUndefined(
      parseEnvelope(
        JSON.stringify({
          origin: 'n',
          message: { type: 'publish', channel: 'a', frame: '', exceptSocketId: 5 },
        })
      )
    )
  })

  test('start rejects, naming Redis, when Redis is not reachable', async ({ assert }) => {
    const closed = await startRedisServer()
    await closed.stop()
    const base = new Redis(closed.url, { lazyConnect: true })
    const bus = new RedisBus(base, { nodeId: 'n' })
    await assert.rejects(() => bus.start(() => {}), /Redis bus: start failed/)
    await bus.close()
  })
})
