import { randomUUID } from 'node:crypto'
import { test } from '@japa/runner'
import { Redis } from 'ioredis'
import type { BusMessage } from '../../../packages/engine/src/bus/bus.ts'
import {
  RedisBus,
  parseEnvelope,
  type RedisBusOptions,
} from '../../../packages/engine/src/bus/redis_bus.ts'
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
function makeBuses(nodes: number, logger?: RedisBusOptions['logger']) {
  const prefix = `test-${randomUUID()}:`
  const base = new Redis(server.url, { lazyConnect: true })
  const buses = Array.from(
    { length: nodes },
    (_, index) => new RedisBus(base, { nodeId: `node${index}`, prefix, logger })
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

busContract('RedisBus', async (nodes) => makeBuses(nodes), { setup: startServer })

test.group('RedisBus', (group) => {
  group.setup(startServer)

  test('a malformed message is dropped and logged, never thrown', async ({ assert, cleanup }) => {
    const logged: string[] = []
    const made = makeBuses(1, {
      error: (_details: object, message: string) => logged.push(message),
    })
    cleanup(() => made.cleanup())
    const received: BusMessage[] = []
    let arrived!: () => void
    const fence = new Promise<void>((resolve) => (arrived = resolve))
    await made.buses[0].start((message) => {
      received.push(message)
      if (message.type === 'publish' && message.channel === 'fence') arrived()
    })
    assert.equal(made.base.status, 'wait')

    const raw = new Redis(server.url)
    cleanup(async () => void (await raw.quit()))
    const channel = `${made.prefix}bus`
    const garbage = [
      'not json',
      '42',
      'null',
      JSON.stringify({ origin: 'other' }),
      JSON.stringify({ origin: 'other', message: { type: 'publish', channel: 1, frame: '' } }),
      JSON.stringify({ origin: 'other', message: { type: 'unknown' } }),
      JSON.stringify({ origin: 7, message: { type: 'terminate_user', userId: '1' } }),
    ]
    for (const message of garbage) await raw.publish(channel, message)
    await raw.publish(
      channel,
      JSON.stringify({ origin: 'other', message: { type: 'publish', channel: 'fence', frame: '' } })
    )
    await fence
    assert.deepEqual(received, [{ type: 'publish', channel: 'fence', frame: '' }])
    assert.lengthOf(logged, garbage.length)
    assert.match(logged[0], /malformed/)
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
