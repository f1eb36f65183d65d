import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import emitter from '@adonisjs/core/services/emitter'
import { BaseEvent, Emitter } from '@adonisjs/core/events'
import broadcast from 'adonisjs-broadcasting/services/main'
import { Channel, PrivateChannel } from '../../../src/emitting/channels.ts'
import { broadcastOnDispatch } from '../../../src/emitting/dispatch/broadcast_on_dispatch.ts'
import { pusherSetup } from '../../helpers/broadcast.ts'

class OrderShipped extends BaseEvent {
  constructor(
    public orderId: number,
    public userId: number
  ) {
    super()
  }

  broadcastOn() {
    return new PrivateChannel(`${this.userId}`)
  }

  broadcastWhen() {
    return this.orderId > 0
  }
}

/**
 * A class event that is not broadcastable
 */
class OrderPacked extends BaseEvent {
  constructor(public orderId: number) {
    super()
  }
}

test.group('Broadcast on dispatch | the app wires it', (group) => {
  group.each.teardown(() => {
    broadcast.restore()
    emitter.restore()
    emitter.clearListeners(OrderShipped)
  })

  test('a dispatched Broadcastable class event is broadcast, with no listener', async ({
    assert,
  }) => {
    const fake = broadcast.fake()
    await OrderShipped.dispatch(7, 42)

    assert.lengthOf(fake.messages, 1)
    fake.assertEmittedOn('private-42', OrderShipped)
    assert.deepEqual(fake.messages[0].data, { orderId: 7, userId: 42 })
    assert.equal(fake.messages[0].event, 'OrderShipped')
  })

  test('emitter.emit with the class broadcasts too; a string-named event does not', async ({
    assert,
  }) => {
    const fake = broadcast.fake()
    await emitter.emit(OrderShipped, new OrderShipped(1, 2))
    await emitter.emit('order:shipped' as any, new OrderShipped(3, 4))
    await OrderPacked.dispatch(5)

    assert.deepEqual(
      fake.messages.map((m) => m.channels),
      [['private-2']]
    )
  })

  test('broadcastWhen() false sends nothing, and the app listener still runs', async ({
    assert,
  }) => {
    const fake = broadcast.fake()
    const heard: number[] = []
    emitter.on(OrderShipped, (event) => void heard.push(event.orderId))
    await OrderShipped.dispatch(0, 42)

    fake.assertNothingEmitted()
    assert.deepEqual(heard, [0])
  })

  test('a listener written by hand does not make it go twice', async ({ assert }) => {
    const fake = broadcast.fake()
    emitter.on(OrderShipped, (event) => broadcast.emit(event))
    await OrderShipped.dispatch(7, 42)
    await emitter.emitSerial(OrderShipped, new OrderShipped(8, 42))

    assert.deepEqual(
      fake.messages.map((m) => (m.data as any).orderId),
      [7, 8]
    )
  })

  test('a hand-written listener that runs after the dispatch listener is skipped', async ({
    assert,
  }) => {
    const fake = broadcast.fake()
    // A lazily imported listener runs after an import: the package's listener comes first
    emitter.on(OrderShipped, async (event) => {
      await new Promise((resolve) => setTimeout(resolve, 20))
      await broadcast.emit(event)
    })
    await OrderShipped.dispatch(7, 42)

    assert.lengthOf(fake.messages, 1)
  })

  test('the same object emitted by hand twice is sent twice; dispatched twice, twice', async ({
    assert,
  }) => {
    const fake = broadcast.fake()
    const event = new OrderShipped(7, 42)
    await broadcast.emit(event)
    await broadcast.emit(event)
    const dispatched = new OrderShipped(8, 42)
    await emitter.emit(OrderShipped, dispatched)
    await emitter.emit(OrderShipped, dispatched)

    assert.lengthOf(fake.messages, 4)
  })

  test('a hand-written listener on another connection sends there as well', async ({ assert }) => {
    const fake = broadcast.fake()
    emitter.on(OrderShipped, (event) => broadcast.use('log').emit(event))
    await OrderShipped.dispatch(7, 42)

    assert.sameMembers(
      fake.messages.map((m) => m.connection),
      ['local', 'log']
    )
  })

  test('emitter.fake() stops broadcasting the faked events only', async ({ assert }) => {
    const fake = broadcast.fake()
    const events = emitter.fake([OrderShipped])
    await OrderShipped.dispatch(7, 42)
    events.assertEmitted(OrderShipped)
    fake.assertNothingEmitted()

    emitter.fake([OrderPacked])
    await OrderShipped.dispatch(8, 42)
    assert.lengthOf(fake.messages, 1)
  })

  test('"broadcastOnDispatch: false" turns it off', async () => {
    const fake = broadcast.fake()
    const config = broadcast.config as { broadcastOnDispatch: boolean }
    config.broadcastOnDispatch = false
    try {
      await OrderShipped.dispatch(7, 42)
    } finally {
      config.broadcastOnDispatch = true
    }
    fake.assertNothingEmitted()
  })
})

test.group('Broadcast on dispatch | failures', (group) => {
  let setup: Awaited<ReturnType<typeof pusherSetup>>
  let appEmitter: Emitter<any>
  group.each.setup(async () => {
    appEmitter = new Emitter(app)
    return () => setup?.server.close()
  })

  class Released extends BaseEvent {
    constructor(public version: string) {
      super()
    }
    broadcastOn() {
      return new Channel('releases')
    }
  }

  test('"report": the dispatch resolves, the failure is logged, listeners run', async ({
    assert,
  }) => {
    setup = await pusherSetup({ onFailure: 'report', retry: { retries: 0 } })
    setup.server.respondWith(500)
    broadcastOnDispatch(appEmitter, async () => setup.manager)
    const heard: string[] = []
    appEmitter.on(Released, (event) => void heard.push(event.version))

    await appEmitter.emit(Released, new Released('2.0'))
    assert.deepEqual(heard, ['2.0'])
    assert.lengthOf(setup.server.requests, 1)
    assert.isTrue(setup.logs.some((entry) => entry.level === 'error'))
  })

  test('"throw": the dispatch rejects like a failing listener, listeners still run', async ({
    assert,
  }) => {
    setup = await pusherSetup({ onFailure: 'throw', retry: { retries: 0 } })
    setup.server.respondWith(500)
    broadcastOnDispatch(appEmitter, async () => setup.manager)
    const heard: string[] = []
    appEmitter.on(Released, async (event) => {
      await new Promise((resolve) => setTimeout(resolve, 30))
      heard.push(event.version)
    })

    await assert.rejects(() => appEmitter.emit(Released, new Released('2.0')), /500/)
    await new Promise((resolve) => setTimeout(resolve, 60))
    assert.deepEqual(heard, ['2.0'])
  })

  test('"throw" with the emitter\'s onError: the handler gets the failure', async ({ assert }) => {
    setup = await pusherSetup({ onFailure: 'throw', retry: { retries: 0 } })
    setup.server.respondWith(500)
    broadcastOnDispatch(appEmitter, async () => setup.manager)
    const errors: unknown[] = []
    appEmitter.onError((_event, error) => errors.push(error))

    await appEmitter.emit(Released, new Released('2.0'))
    assert.lengthOf(errors, 1)
    assert.equal((errors[0] as any).code, 'E_BROADCAST_FAILED')
  })
})
