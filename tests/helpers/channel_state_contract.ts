import { test } from '@japa/runner'
import type { ChannelState, ReapedLeave } from '../../packages/engine/src/state/channel_state.ts'

/**
 * Node-bound ChannelState instances over one shared store
 */
export interface StateCluster {
  states: ChannelState[]
  cleanup(): Promise<void>
  /**
   * Makes a node look dead, as when its heartbeat expires. Only a store
   * with liveness (Redis) has it; without it, nothing is ever reaped
   */
  expire?(index: number): Promise<void>
}

export interface ContractHooks {
  /**
   * Runs once before the group (start a server); may return its teardown
   */
  setup?: () => Promise<() => Promise<void>>
}

const byChannelAndUser = (a: ReapedLeave, b: ReapedLeave) =>
  `${a.channel}/${a.memberRemoved ?? ''}`.localeCompare(`${b.channel}/${b.memberRemoved ?? ''}`)

/**
 * The semantics every ChannelState implementation shares, checked across
 * several node-bound instances of one store:
 *   channelStateContract('MemoryState', async (n) => ...)
 */
export function channelStateContract(
  name: string,
  makeCluster: (nodes: number) => Promise<StateCluster>,
  hooks: ContractHooks = {}
) {
  test.group(`ChannelState contract: ${name}`, (group) => {
    if (hooks.setup) group.setup(hooks.setup)

    const cluster = async (nodes: number, cleanup: (fn: () => Promise<void>) => void) => {
      const made = await makeCluster(nodes)
      cleanup(() => made.cleanup())
      return made
    }

    test('join and leave say when a channel is occupied and vacated anywhere', async ({
      assert,
      cleanup,
    }) => {
      const {
        states: [a, b],
      } = await cluster(2, cleanup)
      assert.deepEqual(await a.join('news', 's1'), { occupied: true, memberAdded: false })
      assert.deepEqual(await b.join('news', 's2'), { occupied: false, memberAdded: false })
      assert.deepEqual(await a.leave('news', 's1'), { vacated: false })
      assert.deepEqual(await b.leave('news', 's2'), { vacated: true })
      // Not subscribed: a no-op
      assert.deepEqual(await b.leave('news', 's2'), { vacated: false })
      assert.deepEqual(await a.leave('other', 'nope'), { vacated: false })
    })

    test('a member is added on its first socket anywhere and removed after its last', async ({
      assert,
      cleanup,
    }) => {
      const {
        states: [a, b],
      } = await cluster(2, cleanup)
      const ch = 'presence-room'
      const ann = { id: 'u1', info: { name: 'Ann' } }
      const bob = { id: 'u2', info: { name: 'Bob' } }
      assert.deepEqual(await a.join(ch, 's1', ann), { occupied: true, memberAdded: true })
      assert.deepEqual(await b.join(ch, 's2', ann), { occupied: false, memberAdded: false })
      assert.deepEqual(await b.join(ch, 's3', bob), { occupied: false, memberAdded: true })

      for (const state of [a, b]) {
        assert.deepEqual(
          await state.members(ch),
          new Map<string, unknown>([
            ['u1', { name: 'Ann' }],
            ['u2', { name: 'Bob' }],
          ])
        )
        assert.isTrue(await state.hasMember(ch, 'u1'))
        assert.isFalse(await state.hasMember(ch, 'u3'))
      }

      assert.deepEqual(await a.leave(ch, 's1', 'u1'), { vacated: false })
      assert.isTrue(await b.hasMember(ch, 'u1'))
      assert.deepEqual(await b.leave(ch, 's2', 'u1'), { vacated: false, memberRemoved: 'u1' })
      assert.isFalse(await a.hasMember(ch, 'u1'))
      assert.deepEqual(await b.leave(ch, 's3', 'u2'), { vacated: true, memberRemoved: 'u2' })
      assert.deepEqual(await a.members(ch), new Map())
    })

    test('join is idempotent for the same socket', async ({ assert, cleanup }) => {
      const {
        states: [a, b],
      } = await cluster(2, cleanup)
      const ch = 'presence-idem'
      const ann = { id: 'u1', info: null }
      assert.deepEqual(await a.join(ch, 's1', ann), { occupied: true, memberAdded: true })
      assert.deepEqual(await a.join(ch, 's1', ann), { occupied: false, memberAdded: false })
      assert.deepEqual(await a.join('news', 's1'), { occupied: true, memberAdded: false })
      assert.deepEqual(await a.join('news', 's1'), { occupied: false, memberAdded: false })
      assert.deepEqual(await b.channel(ch), { subscriptionCount: 1, userCount: 1 })
      assert.deepEqual(await b.channel('news'), { subscriptionCount: 1 })
      // One leave undoes it
      assert.deepEqual(await a.leave(ch, 's1', 'u1'), { vacated: true, memberRemoved: 'u1' })
      assert.deepEqual(await a.leave('news', 's1'), { vacated: true })
    })

    test('with a leave-event delay, a vacancy and a removal stand unless a join takes them back', async ({
      assert,
      cleanup,
    }) => {
      const {
        states: [a, b],
      } = await cluster(2, cleanup)
      const ch = 'presence-delay'
      const ann = { id: 'u1', info: null }

      // Nobody came back: each is confirmed once
      await a.join(ch, 's1', ann)
      const left = await a.leave(ch, 's1', 'u1', 3000)
      assert.isString(left.pending)
      assert.deepInclude(left, { vacated: true, memberRemoved: 'u1' })
      assert.deepEqual(await b.confirmLeave(ch, left.pending!, 'u1'), {
        vacated: true,
        memberRemoved: true,
      })
      assert.deepEqual(await a.confirmLeave(ch, left.pending!, 'u1'), {
        vacated: false,
        memberRemoved: false,
      })

      // The same user back on another node within the delay: both taken back
      await a.join(ch, 's1', ann)
      const reload = await a.leave(ch, 's1', 'u1', 3000)
      assert.deepEqual(await b.join(ch, 's2', ann), {
        occupied: true,
        memberAdded: true,
        vacancyCancelled: true,
        removalCancelled: true,
      })
      assert.deepEqual(await a.confirmLeave(ch, reload.pending!, 'u1'), {
        vacated: false,
        memberRemoved: false,
      })

      // Another user fills the channel: the vacancy is taken back, the removal stands
      const gone = await b.leave(ch, 's2', 'u1', 3000)
      assert.deepEqual(await a.join(ch, 's3', { id: 'u2', info: null }), {
        occupied: true,
        memberAdded: true,
        vacancyCancelled: true,
      })
      assert.deepEqual(await b.confirmLeave(ch, gone.pending!, 'u1'), {
        vacated: false,
        memberRemoved: true,
      })

      // Vacated again after being taken back: only the latest leave confirms
      const first = await a.leave(ch, 's3', 'u2', 3000)
      await b.join(ch, 's4', { id: 'u2', info: null })
      const second = await b.leave(ch, 's4', 'u2', 3000)
      assert.deepEqual(await a.confirmLeave(ch, first.pending!, 'u2'), {
        vacated: false,
        memberRemoved: false,
      })
      assert.deepEqual(await a.confirmLeave(ch, second.pending!, 'u2'), {
        vacated: true,
        memberRemoved: true,
      })

      // Without a delay nothing is pending, and a join has nothing to take back
      await a.join('news', 's1')
      assert.deepEqual(await a.leave('news', 's1'), { vacated: true })
      assert.deepEqual(await b.join('news', 's2'), { occupied: true, memberAdded: false })
    })

    test('a member whose removal is pending stays listed until it is confirmed', async ({
      assert,
      cleanup,
    }) => {
      const {
        states: [a, b],
      } = await cluster(2, cleanup)
      const ch = 'presence-held'
      await a.join(ch, 's1', { id: 'u1', info: { v: 1 } })
      await b.join(ch, 's2', { id: 'u2', info: null })

      // Within the delay the others still see u1, as their clients do
      const left = await a.leave(ch, 's1', 'u1', 3000)
      assert.deepEqual([...(await b.members(ch)).keys()].sort(), ['u1', 'u2'])
      assert.isTrue(await b.hasMember(ch, 'u1'))
      assert.equal((await b.channel(ch)).userCount, 2)

      // Back with new info: listed with it, and the old removal is void
      await b.join(ch, 's3', { id: 'u1', info: { v: 2 } })
      assert.deepEqual((await a.members(ch)).get('u1'), { v: 2 })
      assert.deepEqual(await a.confirmLeave(ch, left.pending!, 'u1'), {
        vacated: false,
        memberRemoved: false,
      })
      assert.isTrue(await a.hasMember(ch, 'u1'))

      // Gone for good: listed until the removal is confirmed, then not
      const gone = await b.leave(ch, 's3', 'u1', 3000)
      assert.isTrue(await a.hasMember(ch, 'u1'))
      assert.deepEqual(await a.confirmLeave(ch, gone.pending!, 'u1'), {
        vacated: false,
        memberRemoved: true,
      })
      assert.deepEqual([...(await a.members(ch)).keys()], ['u2'])
      assert.equal((await a.channel(ch)).userCount, 1)

      // A held member still counts for the limit, and may come back to a full channel
      const held = await b.leave(ch, 's2', 'u2', 3000)
      assert.deepInclude(await a.join(ch, 's4', { id: 'u3', info: null }, 1), { full: true })
      assert.deepInclude(await a.join(ch, 's5', { id: 'u2', info: null }, 1), {
        memberAdded: true,
        removalCancelled: true,
      })
      assert.deepEqual(await b.confirmLeave(ch, held.pending!, 'u2'), {
        vacated: false,
        memberRemoved: false,
      })
    })

    test('the member limit holds under concurrent joins from every node', async ({
      assert,
      cleanup,
    }) => {
      const { states } = await cluster(3, cleanup)
      const ch = 'presence-crowd'
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          states[i % 3].join(ch, `s${i}`, { id: `u${i}`, info: { i } }, 5)
        )
      )
      assert.equal(results.filter((result) => result.memberAdded).length, 5)
      assert.equal(results.filter((result) => result.full).length, 25)
      assert.equal(results.filter((result) => result.occupied).length, 1)
      assert.equal((await states[1].members(ch)).size, 5)
      assert.deepEqual(await states[2].channel(ch), { subscriptionCount: 5, userCount: 5 })

      // A member's second socket is not a new member: it is let in
      const [memberId] = (await states[0].members(ch)).keys()
      const again = await states[2].join(ch, 'another', { id: memberId, info: null }, 5)
      assert.deepEqual(again, { occupied: false, memberAdded: false })
      assert.deepEqual(await states[0].channel(ch), { subscriptionCount: 6, userCount: 5 })
    })

    test('a user’s sockets in a channel count on every node; past maxSockets a join is refused', async ({
      assert,
      cleanup,
    }) => {
      const {
        states: [a, b],
      } = await cluster(2, cleanup)
      for (const ch of ['presence-socks', 'private-socks']) {
        const member = (id: string) => (ch.startsWith('presence-') ? { id, info: null } : undefined)
        const ann = { userId: 'ann', maxSockets: 3 }
        assert.deepInclude(await a.join(ch, 's1', member('ann'), undefined, ann), {
          occupied: true,
        })
        assert.notProperty(await b.join(ch, 's2', member('ann'), undefined, ann), 'tooManySockets')
        assert.notProperty(await a.join(ch, 's3', member('ann'), undefined, ann), 'tooManySockets')
        // The fourth, on either node: refused, and nothing of it is kept
        for (const [state, socket] of [
          [a, 's4'],
          [b, 's5'],
        ] as const) {
          assert.deepEqual(await state.join(ch, socket, member('ann'), undefined, ann), {
            occupied: false,
            memberAdded: false,
            tooManySockets: true,
          })
        }
        assert.equal((await b.channel(ch)).subscriptionCount, 3)
        assert.deepEqual(await a.leave(ch, 's4', 'ann'), { vacated: false })

        // Another user, and a socket joined again, are not refused
        const bob = { userId: 'bob', maxSockets: 3 }
        assert.notProperty(await b.join(ch, 's6', member('bob'), undefined, bob), 'tooManySockets')
        assert.deepEqual(await a.join(ch, 's1', member('ann'), undefined, ann), {
          occupied: false,
          memberAdded: false,
        })
        // Without a limit (a node joining its sockets again) nothing is refused
        assert.notProperty(
          await a.join(ch, 's7', member('ann'), undefined, { userId: 'ann' }),
          'tooManySockets'
        )
        assert.isTrue((await a.join(ch, 's8', member('ann'), undefined, ann)).tooManySockets)

        // A leave, on whichever node, gives the socket back: 4 -> 2
        await a.leave(ch, 's7', 'ann')
        await b.leave(ch, 's2', 'ann')
        assert.notProperty(await b.join(ch, 's9', member('ann'), undefined, ann), 'tooManySockets')
        assert.isTrue((await a.join(ch, 's10', member('ann'), undefined, ann)).tooManySockets)
        for (const [state, socket] of [
          [a, 's1'],
          [a, 's3'],
          [b, 's9'],
          [b, 's6'],
        ] as const) {
          await state.leave(ch, socket)
        }
        assert.deepEqual(await a.channel(ch), {
          subscriptionCount: 0,
          ...(ch.startsWith('presence-') ? { userCount: 0 } : {}),
        })
      }
    })

    test('the sockets-per-user limit holds under concurrent joins from every node', async ({
      assert,
      cleanup,
    }) => {
      const { states } = await cluster(3, cleanup)
      for (const ch of ['presence-race', 'private-race']) {
        const member = ch.startsWith('presence-') ? { id: 'ann', info: null } : undefined
        const results = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            states[i % 3].join(ch, `s${i}`, member, 100, { userId: 'ann', maxSockets: 4 })
          )
        )
        assert.equal(results.filter((result) => !result.tooManySockets).length, 4)
        assert.equal((await states[1].channel(ch)).subscriptionCount, 4)
      }
    })

    test('a node removed or reaped gives back its sockets’ counts', async ({ assert, cleanup }) => {
      const made = await cluster(3, cleanup)
      const [a, b, c] = made.states
      await Promise.all(made.states.map((state) => state.heartbeat()))
      const ann = { userId: 'ann', maxSockets: 2 }
      const member = { id: 'ann', info: null }
      for (const ch of ['presence-back', 'private-back']) {
        const as = ch.startsWith('presence-') ? member : undefined
        await a.join(ch, 'a1', as, undefined, ann)
        await b.join(ch, 'b1', as, undefined, ann)
        assert.isTrue((await c.join(ch, 'c1', as, undefined, ann)).tooManySockets)
      }

      await a.removeNode()
      for (const ch of ['presence-back', 'private-back']) {
        const as = ch.startsWith('presence-') ? member : undefined
        assert.notProperty(await c.join(ch, 'c1', as, undefined, ann), 'tooManySockets')
        assert.isTrue((await c.join(ch, 'c2', as, undefined, ann)).tooManySockets)
      }
      if (!made.expire) return

      await made.expire(1)
      await c.reapDeadNodes()
      for (const ch of ['presence-back', 'private-back']) {
        const as = ch.startsWith('presence-') ? member : undefined
        assert.notProperty(await c.join(ch, 'c2', as, undefined, ann), 'tooManySockets')
        assert.isTrue((await c.join(ch, 'c3', as, undefined, ann)).tooManySockets)
      }
    })

    test('client events of a user count on every node, per channel, in a one-second window', async ({
      assert,
      cleanup,
    }) => {
      const {
        states: [a, b],
      } = await cluster(2, cleanup)
      const channels = ['presence-talk', 'private-talk']
      for (const ch of channels) {
        const member = (id: string) => (ch.startsWith('presence-') ? { id, info: null } : undefined)
        await a.join(ch, 's1', member('ann'), undefined, { userId: 'ann' })
        await b.join(ch, 's2', member('ann'), undefined, { userId: 'ann' })
        await b.join(ch, 's3', member('bob'), undefined, { userId: 'bob' })
        const take = async (state: ChannelState, userId: string) =>
          await state.takeClientEvent(ch, userId, 3)
        const taken = []
        for (const state of [a, b, a, b, a]) taken.push(await take(state, 'ann'))
        assert.deepEqual(taken, [true, true, true, false, false])
        // Another user has a window of its own
        assert.isTrue(await take(b, 'bob'))
        // A user without a socket there: nothing counted
        for (let i = 0; i < 5; i++) assert.isTrue(await take(a, 'nobody'))
      }
      // The next window
      await new Promise((resolve) => setTimeout(resolve, 1050))
      for (const ch of channels) assert.isTrue(await a.takeClientEvent(ch, 'ann', 3))
    })

    test('the client-event limit holds under concurrent events from every node', async ({
      assert,
      cleanup,
    }) => {
      const { states } = await cluster(3, cleanup)
      const ch = 'presence-burst'
      for (const [index, state] of states.entries()) {
        await state.join(ch, `s${index}`, { id: 'ann', info: null }, undefined, { userId: 'ann' })
      }
      const taken = await Promise.all(
        Array.from({ length: 30 }, (_, i) => states[i % 3].takeClientEvent(ch, 'ann', 10))
      )
      assert.equal(taken.filter(Boolean).length, 10)
    })

    test('sockets per client address count on every node; each node records its own count', async ({
      assert,
      cleanup,
    }) => {
      const {
        states: [a, b],
      } = await cluster(2, cleanup)
      const ip = '203.0.113.7'
      // A node gives its count with the new socket
      assert.isTrue(await a.openConnection(ip, 1, 3))
      assert.isTrue(await b.openConnection(ip, 1, 3))
      assert.isTrue(await a.openConnection(ip, 2, 3))
      assert.isFalse(await b.openConnection(ip, 2, 3))
      assert.isFalse(await a.openConnection(ip, 3, 3))
      // Another address has its own count
      assert.isTrue(await b.openConnection('2001:db8::1', 1, 3))

      // A socket of A closes: B may take it; refused sockets were never counted
      await a.recordConnections(ip, 1)
      assert.isTrue(await b.openConnection(ip, 2, 3))
      assert.isFalse(await a.openConnection(ip, 2, 3))
      // Recording again is idempotent; 0 forgets the node's sockets
      await b.recordConnections(ip, 2)
      await b.recordConnections(ip, 2)
      assert.isFalse(await a.openConnection(ip, 2, 3))
      await b.recordConnections(ip, 0)
      await b.recordConnections(ip, 0)
      assert.isTrue(await a.openConnection(ip, 2, 3))
      assert.isTrue(await a.openConnection(ip, 3, 3))
      assert.isFalse(await b.openConnection(ip, 1, 3))
    })

    test('the connections-per-address limit holds under concurrent opens from every node', async ({
      assert,
      cleanup,
    }) => {
      const { states } = await cluster(3, cleanup)
      // Each node opens one socket after another until it is refused
      const opened = await Promise.all(
        states.map(async (state) => {
          let count = 0
          while (await state.openConnection('198.51.100.1', count + 1, 7)) count++
          return count
        })
      )
      assert.equal(
        opened.reduce((sum, count) => sum + count, 0),
        7
      )
    })

    test('a node removed or reaped no longer counts for the addresses', async ({
      assert,
      cleanup,
    }) => {
      const made = await cluster(3, cleanup)
      const [a, b, c] = made.states
      await Promise.all(made.states.map((state) => state.heartbeat()))
      const ip = '192.0.2.9'
      assert.isTrue(await a.openConnection(ip, 1, 3))
      assert.isTrue(await a.openConnection(ip, 2, 3))
      assert.isTrue(await b.openConnection(ip, 1, 3))
      assert.isFalse(await c.openConnection(ip, 1, 3))

      await a.removeNode()
      assert.isTrue(await c.openConnection(ip, 1, 3))
      assert.isTrue(await c.openConnection(ip, 2, 3))
      assert.isFalse(await c.openConnection(ip, 3, 3))
      if (!made.expire) return

      await made.expire(1)
      await c.reapDeadNodes()
      assert.isTrue(await c.openConnection(ip, 3, 3))
      assert.isFalse(await c.openConnection(ip, 4, 3))
    })

    test('channels() and channel() count subscriptions and users across nodes', async ({
      assert,
      cleanup,
    }) => {
      const {
        states: [a, b],
      } = await cluster(2, cleanup)
      await a.join('news', 's1')
      await b.join('news', 's2')
      await a.join('presence-room', 's1', { id: 'u1', info: null })
      await b.join('presence-room', 's2', { id: 'u1', info: null })
      await b.join('presence-room', 's3', { id: 'u2', info: null })

      for (const state of [a, b]) {
        assert.deepEqual(
          await state.channels(),
          new Map([
            ['news', { subscriptionCount: 2 }],
            ['presence-room', { subscriptionCount: 3, userCount: 2 }],
          ])
        )
      }
      assert.equal((await a.channel('nowhere')).subscriptionCount, 0)

      await a.leave('news', 's1')
      await b.leave('news', 's2')
      assert.deepEqual([...(await a.channels()).keys()], ['presence-room'])
      assert.deepEqual(await b.channel('news'), { subscriptionCount: 0 })
    })

    test('a cached event is shared until its TTL runs out', async ({ assert, cleanup }) => {
      const {
        states: [a, b],
      } = await cluster(2, cleanup)
      assert.isUndefined(await b.cachedEvent('cache-none'))

      const before = Date.now()
      await a.cacheEvent('cache-news', '{"event":"x"}', 60_000)
      const cached = await b.cachedEvent('cache-news')
      assert.equal(cached?.frame, '{"event":"x"}')
      assert.isAtLeast(cached!.expiresAt, before + 59_000)
      assert.isAtMost(cached!.expiresAt, Date.now() + 60_000)

      // A rewrite replaces it; a short TTL lets it go
      await b.cacheEvent('cache-news', '{"event":"y"}', 30)
      assert.equal((await a.cachedEvent('cache-news'))?.frame, '{"event":"y"}')
      const deadline = Date.now() + 2000
      while ((await a.cachedEvent('cache-news')) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      assert.isUndefined(await a.cachedEvent('cache-news'))
    })

    test('removeNode removes only that node’s subscriptions and members', async ({
      assert,
      cleanup,
    }) => {
      const {
        states: [a, b],
      } = await cluster(2, cleanup)
      await a.join('news', 'a1')
      await b.join('news', 'b1')
      await a.join('only-a', 'a1')
      await a.join('presence-room', 'a1', { id: 'shared', info: 1 })
      await b.join('presence-room', 'b1', { id: 'shared', info: 1 })
      await a.join('presence-room', 'a2', { id: 'only-a', info: 2 })

      await a.removeNode()
      await a.removeNode()
      assert.deepEqual(
        await b.channels(),
        new Map([
          ['news', { subscriptionCount: 1 }],
          ['presence-room', { subscriptionCount: 1, userCount: 1 }],
        ])
      )
      assert.deepEqual(await b.members('presence-room'), new Map([['shared', 1]]))
      // B's own memberships still leave normally
      assert.deepEqual(await b.leave('presence-room', 'b1', 'shared'), {
        vacated: true,
        memberRemoved: 'shared',
      })
    })

    test('a node that stops heartbeating is reaped once, by one survivor', async ({
      assert,
      cleanup,
    }) => {
      const made = await cluster(3, cleanup)
      const [dead, b, c] = made.states
      await Promise.all(made.states.map((state) => state.heartbeat()))
      await dead.join('only-dead', 'd1')
      await dead.join('news', 'd1')
      await b.join('news', 'b1')
      await dead.join('presence-room', 'd1', { id: 'gone', info: null })
      await dead.join('presence-room', 'd2', { id: 'shared', info: null })
      await c.join('presence-room', 'c1', { id: 'shared', info: null })

      // Everyone alive: nothing to reap
      assert.deepEqual(await b.reapDeadNodes(), [])

      if (!made.expire) {
        // No liveness in this store: nothing is ever reaped
        assert.deepEqual(await c.reapDeadNodes(), [])
        assert.equal((await b.channel('presence-room')).subscriptionCount, 3)
        return
      }

      await made.expire(0)
      const reaped = (await Promise.all([b.reapDeadNodes(), c.reapDeadNodes()])).flat()
      assert.deepEqual(reaped.sort(byChannelAndUser), [
        { channel: 'news', vacated: false },
        { channel: 'only-dead', vacated: true },
        { channel: 'presence-room', vacated: false },
        { channel: 'presence-room', vacated: false, memberRemoved: 'gone' },
      ])
      assert.deepEqual(await b.reapDeadNodes(), [])
      assert.deepEqual(await c.reapDeadNodes(), [])
      assert.deepEqual(
        await c.channels(),
        new Map([
          ['news', { subscriptionCount: 1 }],
          ['presence-room', { subscriptionCount: 1, userCount: 1 }],
        ])
      )
      assert.deepEqual(await b.members('presence-room'), new Map([['shared', null]]))
    })
  })
}
