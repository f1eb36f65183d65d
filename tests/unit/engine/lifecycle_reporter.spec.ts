import { test } from '@japa/runner'
import { LifecycleReporter } from '../../../packages/engine/src/lifecycle/lifecycle_reporter.ts'
import { MemoryState } from '../../../packages/engine/src/state/memory_state.ts'
import { ServerEvents } from '../../../packages/engine/src/server_events.ts'
import type { LifecycleEvent } from '@adonisjs-broadcasting/engine'

test.group('LifecycleReporter', () => {
  test('a leave is held for the delay; past maxHeldLeaves one is confirmed at once', async ({
    assert,
  }) => {
    const events: LifecycleEvent[] = []
    const errors: unknown[] = []
    const hub = new ServerEvents()
    hub.on('lifecycle', (event) => events.push(event))
    const reporter = new LifecycleReporter({
      events: hub,
      leaveDelayMs: 60_000,
      maxHeldLeaves: 2,
      report: (error) => errors.push(error),
    })
    const state = new MemoryState('node')
    const churn = async (channel: string) => {
      reporter.joined(channel, await state.join(channel, 's1'))
      reporter.left(state, channel, await state.leave(channel, 's1', undefined, 60_000))
    }

    await churn('a')
    await churn('b')
    await new Promise((resolve) => setImmediate(resolve))
    // Both held: a minute away
    assert.deepEqual(
      events.map((event) => event.name),
      ['channel_occupied', 'channel_occupied']
    )

    // The third is over the bound: confirmed without waiting
    await churn('c')
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepInclude(events, { name: 'channel_vacated', channel: 'c' })
    assert.notDeepInclude(events, { name: 'channel_vacated', channel: 'a' })

    // Shutdown settles the rest at once
    await reporter.settle('now')
    assert.includeMembers(
      events.filter((event) => event.name === 'channel_vacated').map((event) => event.channel),
      ['a', 'b', 'c']
    )
    assert.deepEqual(errors, [])
  })
})
