import { test } from '@japa/runner'
import { EventCache } from '../../../packages/engine/src/state/event_cache.ts'

const frame = (text: string) => text

test.group('EventCache', () => {
  test('a sweep removes expired entries oldest first, within its budget', ({ assert, cleanup }) => {
    const cache = new EventCache({ maxEntries: 100, maxBytes: 1_000_000 })
    cleanup(() => cache.clear())
    for (let i = 0; i < 10; i++) cache.set(`cache-${i}`, frame('x'), 1000, i)
    assert.equal(cache.size, 10)

    // At t=1004.5 the entries written at 0..4 have expired
    assert.equal(cache.sweep(1004.5, 3), 3)
    assert.equal(cache.sweep(1004.5), 2)
    assert.equal(cache.sweep(1004.5), 0)
    assert.equal(cache.size, 5)
    assert.isUndefined(cache.get('cache-4', 1004.5))
    assert.equal(cache.get('cache-5', 1004.5)?.expiresAt, 1005)
  })

  test('an expired entry is never served, even before a sweep', ({ assert, cleanup }) => {
    const cache = new EventCache({ maxEntries: 10, maxBytes: 1000 })
    cleanup(() => cache.clear())
    cache.set('cache-a', frame('abc'), 100, 0)
    assert.equal(cache.bytes, 'abc'.length + 'cache-a'.length)
    assert.isUndefined(cache.get('cache-a', 100))
    assert.equal(cache.size, 0)
    assert.equal(cache.bytes, 0)
  })

  test('counts bytes of frames and names, and frees them on rewrite and eviction', ({
    assert,
    cleanup,
  }) => {
    const cache = new EventCache({ maxEntries: 2, maxBytes: 1000 })
    cleanup(() => cache.clear())
    cache.set('cache-a', frame('1234'), 1000)
    cache.set('cache-a', frame('12'), 1000)
    assert.equal(cache.bytes, 2 + 7)
    cache.set('cache-b', frame('1'), 1000)
    cache.set('cache-c', frame('1'), 1000)
    assert.equal(cache.size, 2)
    assert.isUndefined(cache.get('cache-a'))
    assert.equal(cache.bytes, 2 * (1 + 7))
  })
})
