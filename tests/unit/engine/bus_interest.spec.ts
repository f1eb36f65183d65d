import { test } from '@japa/runner'
import { BusInterest } from '../../../packages/engine/src/bus/bus_interest.ts'
import type { InterestTransport } from '../../../packages/engine/src/bus/channel_interest.ts'
import { Refusal } from '../../../packages/engine/src/refusal.ts'

/**
 * A transport whose commands wait until the test answers them
 */
class FakeTransport implements InterestTransport {
  sent: Array<{ command: 'subscribe' | 'unsubscribe'; channels: string[] }> = []
  #answers: Array<{ resolve(): void; reject(error: Error): void }> = []

  subscribe(channels: string[]) {
    return this.#command('subscribe', channels)
  }

  unsubscribe(channels: string[]) {
    return this.#command('unsubscribe', channels)
  }

  /**
   * Answers every command sent so far
   */
  answer(error?: Error) {
    for (const answer of this.#answers.splice(0)) {
      if (error) answer.reject(error)
      else answer.resolve()
    }
  }

  #command(command: 'subscribe' | 'unsubscribe', channels: string[]) {
    this.sent.push({ command, channels })
    return new Promise<void>((resolve, reject) => this.#answers.push({ resolve, reject }))
  }
}

const turn = () => new Promise((resolve) => setImmediate(resolve))

test.group('BusInterest', () => {
  test('one round at a time: what changes while one is in flight goes in the next, merged', async ({
    assert,
  }) => {
    const transport = new FakeTransport()
    const interest = new BusInterest(transport, { linger: 0 })
    interest.hold('a')
    const a = interest.ready('a')
    await turn()
    assert.deepEqual(transport.sent, [{ command: 'subscribe', channels: ['a'] }])

    // Meanwhile: b taken, c taken and left, a left and taken back
    interest.hold('b')
    interest.hold('c')
    interest.release('c')
    interest.release('a')
    interest.hold('a')
    const b = interest.ready('b')
    await turn()
    assert.lengthOf(transport.sent, 1)
    assert.equal(interest.pending, 4)

    transport.answer()
    await a
    assert.isTrue(interest.receives('a'))
    assert.isUndefined(interest.ready('a'))
    await turn()
    assert.deepEqual(transport.sent.slice(1), [{ command: 'subscribe', channels: ['b'] }])
    transport.answer()
    await b
    assert.deepEqual(interest.stats(), { subscribed: 2, lingering: 0, pending: 0 })
  })

  test('a failed subscribe rejects its waiters, is reported, and the next waiter tries again', async ({
    assert,
  }) => {
    const transport = new FakeTransport()
    const reported: string[] = []
    const interest = new BusInterest(transport, {}, (_error, where) => reported.push(where))
    interest.hold('a')
    const first = interest.ready('a')!
    await turn()
    transport.answer(new Error('Redis bus: subscribe failed: down'))
    await assert.rejects(() => first, /subscribe failed/)
    assert.deepEqual(reported, ['bus subscribe'])
    assert.isFalse(interest.receives('a'))

    const second = interest.ready('a')!
    await turn()
    assert.deepEqual(transport.sent[1], { command: 'subscribe', channels: ['a'] })
    transport.answer()
    await second
    assert.isTrue(interest.receives('a'))
  })

  test('a new connection: every channel held or lingering is subscribed again in one command', async ({
    assert,
  }) => {
    const transport = new FakeTransport()
    const interest = new BusInterest(transport, { linger: 60_000 })
    for (const channel of ['a', 'b', 'c']) interest.hold(channel)
    await turn()
    transport.answer()
    await interest.ready('a')
    interest.release('c')

    interest.resubscribeAll()
    assert.isFalse(interest.receives('a'))
    const again = interest.ready('a')
    await turn()
    assert.deepEqual(transport.sent.slice(1), [{ command: 'subscribe', channels: ['a', 'b', 'c'] }])
    transport.answer()
    await again
    assert.deepEqual(interest.stats(), { subscribed: 3, lingering: 1, pending: 0 })
    interest.close()
  })

  test('more channels than a command takes go in several; close refuses the waiters and forgets all', async ({
    assert,
  }) => {
    const transport = new FakeTransport()
    const interest = new BusInterest(transport, {})
    const channels = Array.from({ length: 2500 }, (_, index) => `c${index}`)
    for (const channel of channels) interest.hold(channel)
    await turn()
    assert.deepEqual(
      transport.sent.map((command) => command.channels.length),
      [1000, 1000, 500]
    )
    assert.deepEqual(interest.commands, { subscribe: 3, unsubscribe: 0 })

    interest.hold('late')
    const late = interest.ready('late')!
    interest.close()
    const refusal = await late.catch((error) => error)
    assert.instanceOf(refusal, Refusal)
    assert.deepEqual(interest.stats(), { subscribed: 0, lingering: 0, pending: 0 })
    transport.answer()
    interest.hold('after')
    assert.isUndefined(interest.ready('after'))
  })
})
