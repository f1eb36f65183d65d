import { test } from '@japa/runner'
import { Clients, localDriver, sleep } from '../../helpers/server_clients.ts'

/**
 * "npm test" runs node with --expose-gc, so the heap can be measured after
 * a full collection
 */
function gc() {
  if (typeof globalThis.gc !== 'function') {
    throw new Error('Run the tests with node --expose-gc (npm test does)')
  }
  globalThis.gc()
}

function heapUsed() {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

test.group('Embedded server | robustness', (group) => {
  const clients = new Clients()
  group.each.teardown(() => clients.closeAll())

  test('1,000 malformed frames and 10,000 subscribes from one socket', async ({ assert }) => {
    const driver = await localDriver()
    const listener = await clients.raw()
    listener.send({ event: 'pusher:subscribe', data: { channel: 'heartbeat', auth: '' } })
    await listener.next((f) => f.event === 'pusher_internal:subscription_succeeded')

    const heapBefore = heapUsed()
    let sent = 0
    const ticker = setInterval(() => {
      driver.server.publish(['heartbeat'], 'Beat', JSON.stringify({ n: sent++ }))
    }, 5)

    const attacker = await clients.raw()
    const oversize = JSON.stringify({ event: 'client-x', channel: 'c', data: 'x'.repeat(12_000) })
    const malformed = [
      '{not json',
      '[]',
      'null',
      '42',
      '{"event":42}',
      '{"event":"pusher:subscribe","data":[]}',
      '{"event":"pusher:subscribe","data":"not json"}',
      '{"event":"pusher:subscribe","data":{"channel":42}}',
      '{"event":"pusher:subscribe","data":{"channel":"bad name!"}}',
      '{"event":"pusher:subscribe","data":{"channel":"private-x","auth":"k:zz"}}',
      '{"event":"pusher:subscribe","data":{"channel":"presence-x","auth":"a","channel_data":"{"}}',
      '{"event":"pusher:unsubscribe","data":{"channel":{}}}',
      '{"event":"pusher:signin","data":{"auth":1}}',
      '{"event":"client-x","channel":"nope","data":{}}',
      '{"event":"client-x","channel":7}',
      '{"event":"pusher:unknown","data":{}}',
      '{"event":"whatever","channel":"heartbeat","data":"x"}',
      oversize,
    ]
    // Sent in bursts, as frames arrive from a network, so the ticker runs in between
    for (let i = 0; i < 1000; i++) {
      attacker.send(malformed[i % malformed.length])
      if (i % 100 === 99) await sleep(5)
    }
    for (let i = 0; i < 10_000; i++) {
      attacker.send({ event: 'pusher:subscribe', data: { channel: `flood-${i}`, auth: '' } })
      if (i % 1000 === 999) await sleep(5)
    }
    try {
      await attacker.next(
        (f) => f.event === 'pusher:subscription_error' && f.channel === 'flood-9999',
        10_000
      )
    } finally {
      clearInterval(ticker)
    }

    await sleep(50)
    const beats = listener.of('Beat').map((f) => f.data.n)
    assert.isAtLeast(beats.length, 10)
    assert.deepEqual(
      beats,
      Array.from({ length: beats.length }, (_, i) => i)
    )
    assert.equal(beats.length, sent)

    // The attacker got errors, was never closed, and holds at most 100
    // channels (fewer: its bad subscribes took from the same rate limit)
    assert.isUndefined(attacker.closeCode)
    assert.isAbove(attacker.of('pusher:error').length, 800)
    const refused = attacker
      .of('pusher:subscription_error')
      .filter((f) => f.channel?.startsWith('flood-'))
    const socket = [...driver.server.sockets].find((s) => s.id === attacker.socketId)!
    assert.isAtMost(socket.channels.size, 100)
    assert.isAbove(socket.channels.size, 0)
    assert.lengthOf(refused, 10_000 - socket.channels.size)
    const stats = await driver.server.state.channel('flood-0')
    assert.equal(stats.subscriptionCount, 1)

    attacker.ws.close()
    await attacker.closed()
    await sleep(50)
    assert.equal((await driver.server.state.channel('flood-0')).subscriptionCount, 0)

    // Whatever the flood allocated is collectable once the socket is gone
    attacker.frames.length = 0
    listener.frames.length = 0
    const growth = heapUsed() - heapBefore
    assert.isBelow(growth, 8 * 1024 * 1024, `heap grew by ${growth} bytes`)
  }).timeout(20_000)
})
