import { test } from '@japa/runner'
import type { Bus, BusMessage } from '../../packages/engine/src/bus/bus.ts'
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
}

const fence = (channel: string): BusMessage => ({ type: 'publish', channel, frame: '' })

/**
 * The semantics every Bus implementation shares:
 *   busContract('MemoryBus', async (n) => ...)
 */
export function busContract(
  name: string,
  makeBuses: (nodes: number) => Promise<BusCluster>,
  hooks: ContractHooks = {}
) {
  test.group(`Bus contract: ${name}`, (group) => {
    if (hooks.setup) group.setup(hooks.setup)

    const started = async (nodes: number, cleanup: (fn: () => Promise<void>) => void) => {
      const made = await makeBuses(nodes)
      cleanup(() => made.cleanup())
      const inboxes = made.buses.map(() => new Inbox())
      await Promise.all(made.buses.map((bus, index) => bus.start(inboxes[index].receive)))
      return { buses: made.buses, inboxes }
    }

    test('a message reaches every other node exactly once, never its sender', async ({
      assert,
      cleanup,
    }) => {
      const {
        buses: [a, b, c],
        inboxes: [atA, atB, atC],
      } = await started(3, cleanup)
      assert.notEqual(a.nodeId, b.nodeId)
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

    test('messages travel as JSON: the receiver gets a copy', async ({ assert, cleanup }) => {
      const {
        buses: [a],
        inboxes: [, atB],
      } = await started(2, cleanup)
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
        buses: [a, b],
        inboxes: [, atB, atC],
      } = await started(3, cleanup)
      await b.close()
      await b.close()
      await a.send(fence('after-close'))
      await atC.until('after-close')
      assert.deepEqual(atB.messages, [])
      assert.deepEqual(atC.messages, [fence('after-close')])
    })
  })
}
