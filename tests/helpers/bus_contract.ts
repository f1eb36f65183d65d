import { test } from '@japa/runner'
import type { Bus, BusMessage } from '../../packages/engine/src/bus/bus.ts'
import { BusInterest } from '../../packages/engine/src/bus/bus_interest.ts'
import type { BusInterestOptions } from '../../packages/engine/src/bus/channel_interest.ts'
import { Refusal } from '../../packages/engine/src/refusal.ts'
import type { ContractHooks } from './channel_state_contract.ts'

/**
 * Buses of several nodes of one app, not started yet
 */
export interface BusCluster {
  buses: Bus[]
  cleanup(): Promise<void>
}

/**
 * What one node received, and a way to await a condition on it
 */
class Inbox {
  messages: BusMessage[] = []
  #waiters: Array<() => void> = []

  receive = (message: BusMessage) => {
    this.messages.push(message)
    for (const wake of this.#waiters.splice(0)) wake()
  }

  /**
   * Resolves once a publish on "channel" arrived (a fence: a node's
   * messages arrive in the order it sent them)
   */
  async until(channel: string) {
    const arrived = () =>
      this.messages.some((message) => message.type === 'publish' && message.channel === channel)
    while (!arrived()) await new Promise<void>((resolve) => this.#waiters.push(resolve))
  }

  channels() {
    return this.messages.map((message) =>
      message.type === 'publish' ? message.channel : `terminate:${message.userId}`
    )
  }
}

const fence = (channel: string): BusMessage => ({ type: 'publish', channel, frame: '' })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The bus's interest, with its counts (both buses route through one)
 */
function interestOf(bus: Bus) {
  if (!(bus.interest instanceof BusInterest)) throw new Error('a bus that routes by interest')
  return bus.interest
}

/**
 * Holds the channels on the node's bus and waits until their messages
 * flow, as a first local socket does
 */
async function hold(bus: Bus, ...channels: string[]) {
  const interest = interestOf(bus)
  for (const channel of channels) interest.hold(channel)
  await Promise.all(channels.map((channel) => interest.ready(channel)))
}

/**
 * The semantics every Bus implementation shares:
 *   busContract('MemoryBus', async (n, routing) => ...)
 */
export function busContract(
  name: string,
  makeBuses: (nodes: number, routing?: BusInterestOptions) => Promise<BusCluster>,
  hooks: ContractHooks = {}
) {
  test.group(`Bus contract: ${name}`, (group) => {
    if (hooks.setup) group.setup(hooks.setup)

    const started = async (
      nodes: number,
      cleanup: (fn: () => Promise<void>) => void,
      routing?: BusInterestOptions
    ) => {
      const made = await makeBuses(nodes, routing)
      cleanup(() => made.cleanup())
      const inboxes = made.buses.map(() => new Inbox())
      await Promise.all(made.buses.map((bus, index) => bus.start(inboxes[index].receive)))
      return { buses: made.buses, inboxes }
    }

    test('a message reaches every other node holding its channel exactly once, never its sender', async ({
      assert,
      cleanup,
    }) => {
      const {
        buses: [a, b, c],
        inboxes: [atA, atB, atC],
      } = await started(3, cleanup)
      assert.notEqual(a.nodeId, b.nodeId)
      for (const bus of [a, b, c]) {
        await hold(bus, 'news', '#server-to-user-42', 'fence-a', 'fence-b', 'fence-c')
      }
      const first: BusMessage = { type: 'publish', channel: 'news', frame: '{"event":"x"}' }
      const second: BusMessage = { type: 'terminate_user', userId: '42' }
      await a.send(first)
      await a.send(second)
      await a.send(fence('fence-a'))
      await Promise.all([atB.until('fence-a'), atC.until('fence-a')])

      // Whatever A's own messages did, they came before B's and C's fences
      await b.send(fence('fence-b'))
      await c.send(fence('fence-c'))
      await Promise.all([atA.until('fence-b'), atA.until('fence-c')])
      await Promise.all([atB.until('fence-c'), atC.until('fence-b')])

      assert.sameDeepMembers(atA.messages, [fence('fence-b'), fence('fence-c')])
      assert.deepEqual(atB.messages, [first, second, fence('fence-a'), fence('fence-c')])
      assert.deepEqual(atC.messages, [first, second, fence('fence-a'), fence('fence-b')])
    })

    test('a node gets nothing of a channel it does not hold; terminate_user goes where the user is', async ({
      assert,
      cleanup,
    }) => {
      const {
        buses: [a, b, c],
        inboxes: [atA, atB, atC],
      } = await started(3, cleanup)
      await hold(b, 'news', '#server-to-user-7', 'fence')
      await hold(c, 'sport', 'fence')
      await a.send(fence('news'))
      await a.send(fence('sport'))
      await a.send(fence('weather'))
      await a.send({ type: 'terminate_user', userId: '7' })
      await a.send({ type: 'terminate_user', userId: '8' })
      await a.send(fence('fence'))
      await Promise.all([atB.until('fence'), atC.until('fence')])
      assert.deepEqual(atB.channels(), ['news', 'terminate:7', 'fence'])
      assert.deepEqual(atC.channels(), ['sport', 'fence'])
      assert.deepEqual(atA.messages, [])
    })

    test('a node gets a channel again from the moment its first holder is ready', async ({
      assert,
      cleanup,
    }) => {
      const {
        buses: [a, b],
        inboxes: [atA],
      } = await started(2, cleanup)
      await hold(a, 'fence')
      await b.send(fence('before'))
      await b.send(fence('fence'))
      await atA.until('fence')
      assert.deepEqual(atA.channels(), ['fence'])

      // No grace period: the first message sent once ready() resolved arrives
      await hold(a, 'before')
      assert.isTrue(interestOf(a).receives('before'))
      await b.send(fence('before'))
      await atA.until('before')
      assert.deepEqual(atA.channels(), ['fence', 'before'])
    })

    test('the holds of one turn go out as one subscribe; holds are counted', async ({
      assert,
      cleanup,
    }) => {
      const {
        buses: [a, b],
        inboxes: [atA],
      } = await started(2, cleanup, { linger: 0 })
      const interest = interestOf(a)
      const channels = Array.from({ length: 50 }, (_, index) => `room-${index}`)
      const before = interest.commands.subscribe
      await hold(a, ...channels, 'room-0')
      assert.equal(interest.commands.subscribe - before, 1)
      assert.equal(interest.stats().subscribed, 50)

      // room-0 is held twice: one release keeps it
      for (const channel of channels) interest.release(channel)
      await hold(a, 'fence')
      await b.send(fence('room-0'))
      await b.send(fence('room-1'))
      await b.send(fence('fence'))
      await atA.until('fence')
      assert.deepEqual(atA.channels(), ['room-0', 'fence'])
      assert.equal(interest.stats().subscribed, 2)
    })

    test('an emptied channel lingers, subscribed, and goes after the linger', async ({
      assert,
      cleanup,
    }) => {
      const {
        buses: [a, b],
        inboxes: [atA],
      } = await started(2, cleanup, { linger: 200 })
      const interest = interestOf(a)
      await hold(a, 'room', 'fence')
      const subscribes = interest.commands.subscribe

      // A reload: the last socket leaves and one comes back within the linger
      interest.release('room')
      assert.deepEqual(interest.stats(), { subscribed: 2, lingering: 1, pending: 0 })
      interest.hold('room')
      assert.isUndefined(interest.ready('room'))
      assert.equal(interest.stats().lingering, 0)

      // While it lingers its messages still come (and find no socket)
      interest.release('room')
      await b.send(fence('room'))
      await atA.until('room')
      await sleep(400)
      assert.deepEqual(interest.stats(), { subscribed: 1, lingering: 0, pending: 0 })
      assert.equal(interest.commands.subscribe, subscribes)
      assert.equal(interest.commands.unsubscribe, 1)
      await b.send(fence('room'))
      await b.send(fence('fence'))
      await atA.until('fence')
      assert.deepEqual(atA.channels(), ['room', 'fence'])
    })

    test('a flood of holds and releases stays bounded: lingering channels, pending ones refused', async ({
      assert,
      cleanup,
    }) => {
      const {
        buses: [a, b],
        inboxes: [atA],
      } = await started(2, cleanup, { linger: 60_000, maxLingering: 10, maxPending: 20 })
      const interest = interestOf(a)
      const channels = Array.from({ length: 50 }, (_, index) => `flood-${index}`)
      for (const channel of channels) interest.hold(channel)
      assert.equal(interest.pending, 20)
      const outcomes = await Promise.allSettled(channels.map((channel) => interest.ready(channel)))
      const refused = outcomes.filter((outcome) => outcome.status === 'rejected')
      assert.lengthOf(refused, 30)
      for (const outcome of refused) {
        const reason = (outcome as PromiseRejectedResult).reason
        assert.instanceOf(reason, Refusal)
        assert.equal(reason.status, 503)
      }
      assert.deepEqual(interest.stats(), { subscribed: 20, lingering: 0, pending: 0 })

      // Through the pending ones, a refused channel's next holder gets it
      assert.isTrue(interest.receives('flood-0'))
      assert.isFalse(interest.receives('flood-49'))
      await interest.ready('flood-49')
      assert.isTrue(interest.receives('flood-49'))

      // Releasing everything: no more than 10 linger, the oldest went
      for (const channel of channels) interest.release(channel)
      assert.equal(interest.stats().lingering, 10)
      await hold(a, 'fence')
      assert.deepEqual(interest.stats(), { subscribed: 11, lingering: 10, pending: 0 })
      await b.send(fence('flood-0'))
      await b.send(fence('flood-49'))
      await b.send(fence('fence'))
      await atA.until('fence')
      assert.deepEqual(atA.channels(), ['flood-49', 'fence'])
    })

    test('messages travel as JSON: the receiver gets a copy', async ({ assert, cleanup }) => {
      const {
        buses: [a, b],
        inboxes: [, atB],
      } = await started(2, cleanup)
      await hold(b, 'private-a')
      const sent: BusMessage = {
        type: 'publish',
        channel: 'private-a',
        frame: '{"data":"\\"quoted\\" é 💡"}',
        exceptSocketId: '123.456',
      }
      await a.send(sent)
      await atB.until('private-a')
      assert.deepEqual(atB.messages, [sent])
      assert.notStrictEqual(atB.messages[0], sent)
    })

    test('a closed node receives nothing more; close is idempotent', async ({
      assert,
      cleanup,
    }) => {
      const {
        buses: [a, b, c],
        inboxes: [, atB, atC],
      } = await started(3, cleanup)
      await hold(b, 'after-close')
      await hold(c, 'after-close')
      await b.close()
      await b.close()
      await a.send(fence('after-close'))
      await atC.until('after-close')
      assert.deepEqual(atB.messages, [])
      assert.deepEqual(atC.messages, [fence('after-close')])
    })
  })
}
