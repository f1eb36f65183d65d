import { test } from '@japa/runner'
import { WebSocket } from 'ws'
import { LocalDriver } from '../../../src/drivers/local.ts'
import type { MemoryState } from '../../../packages/engine/src/state/memory_state.ts'
import type { ServerLimits } from '../../../packages/engine/src/limits.ts'
import { Clients, RawClient, sdk, sleep } from '../../helpers/server_clients.ts'

/**
 * A local driver on a port of its own, with its in-memory event cache
 */
async function standalone(options: { cacheTtl?: number; limits?: Partial<ServerLimits> }) {
  const driver = new LocalDriver({
    appId: 'solo',
    key: 'solo-key',
    secret: 'solo-secret',
    ...options,
  })
  const { port } = await driver.listen(0, '127.0.0.1')
  const cache = (driver.server.state as MemoryState).store.eventCache
  const publish = (channel: string, data = '{}') => driver.server.publish([channel], 'Update', data)
  /**
   * What a new subscriber of the channel gets right after subscribing
   */
  const firstEvent = async (channel: string) => {
    const client = await RawClient.open(new WebSocket(`ws://127.0.0.1:${port}/app/solo-key`))
    client.send({ event: 'pusher:subscribe', data: { channel } })
    const frame = await client.next(
      (f) => f.channel === channel && !f.event.startsWith('pusher_internal:')
    )
    client.ws.terminate()
    return frame
  }
  return { driver, cache, publish, firstEvent }
}

test.group('Embedded server | cache channels', (group) => {
  const clients = new Clients()
  group.each.teardown(() => clients.closeAll())

  test('expired events are freed without anyone subscribing', async ({ assert, cleanup }) => {
    const { driver, cache, publish } = await standalone({
      cacheTtl: 0.3,
      limits: { maxCachedChannels: 50_000 },
    })
    cleanup(() => driver.close())
    for (let i = 0; i < 20_000; i++) publish(`cache-item-${i}`, JSON.stringify({ i }))
    assert.equal(cache.size, 20_000)

    const deadline = Date.now() + 3000
    while (cache.size > 0 && Date.now() < deadline) await sleep(50)
    assert.equal(cache.size, 0)
    assert.equal(cache.bytes, 0)
  })

  test('over maxCachedChannels the oldest written event is dropped first', async ({
    assert,
    cleanup,
  }) => {
    const { driver, cache, publish, firstEvent } = await standalone({
      limits: { maxCachedChannels: 3 },
    })
    cleanup(() => driver.close())
    publish('cache-a', '"a"')
    publish('cache-b', '"b1"')
    publish('cache-c', '"c"')
    publish('cache-d', '"d"')
    assert.equal(cache.size, 3)
    assert.equal((await firstEvent('cache-a')).event, 'pusher:cache_miss')

    // A rewrite makes "b" the newest: "c" goes next
    publish('cache-b', '"b2"')
    publish('cache-e', '"e"')
    assert.equal((await firstEvent('cache-c')).event, 'pusher:cache_miss')
    assert.deepEqual(await firstEvent('cache-b'), {
      event: 'Update',
      channel: 'cache-b',
      data: 'b2',
    })
    assert.equal((await firstEvent('cache-d')).data, 'd')
    assert.equal((await firstEvent('cache-e')).data, 'e')
  })

  test('over maxCachedBytes the oldest events are dropped; one too large is not kept', async ({
    assert,
    cleanup,
  }) => {
    const { driver, cache, publish, firstEvent } = await standalone({
      limits: { maxCachedBytes: 1000 },
    })
    cleanup(() => driver.close())
    const data = (fill: string) => JSON.stringify({ fill: fill.repeat(300) })
    publish('cache-one', data('1'))
    publish('cache-two', data('2'))
    publish('cache-three', data('3'))
    assert.equal(cache.size, 2)
    assert.isAtMost(cache.bytes, 1000)
    assert.equal((await firstEvent('cache-one')).event, 'pusher:cache_miss')
    assert.equal((await firstEvent('cache-three')).event, 'Update')

    // Too large for the store: not kept, and the older event of that channel is gone too
    publish('cache-three', data('x'.repeat(4)))
    assert.equal((await firstEvent('cache-three')).event, 'pusher:cache_miss')
    assert.equal(cache.size, 1)
  })

  test('GET /channels/<cache channel>?info=cache answers the cached data and its ttl', async ({
    assert,
  }) => {
    const api = await sdk()
    await api.trigger('cache-prices', 'Price', { eur: 12 })

    const cached = await (
      await api.get({ path: '/channels/cache-prices', params: { info: 'cache' } })
    ).json()
    assert.equal(cached.occupied, false)
    assert.equal(cached.cache.data, JSON.stringify({ eur: 12 }))
    assert.isAbove(cached.cache.ttl, 1700)
    assert.isAtMost(cached.cache.ttl, 1800)

    const raw = await clients.raw()
    raw.send({ event: 'pusher:subscribe', data: { channel: 'cache-empty', auth: '' } })
    await raw.next((f) => f.event === 'pusher:cache_miss')
    const empty = await (
      await api.get({
        path: '/channels/cache-empty',
        params: { info: 'subscription_count,cache' },
      })
    ).json()
    assert.deepEqual(empty, { occupied: true, subscription_count: 1, cache: null })

    const notCache = await api
      .get({ path: '/channels/prices', params: { info: 'cache' } })
      .catch((error) => error)
    assert.equal(notCache.status, 400)
  })
})
