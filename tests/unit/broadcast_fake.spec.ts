import { test } from '@japa/runner'
import { pusherSetup } from '../helpers/broadcast.ts'
import { BroadcastEvent } from '../../src/emitting/broadcast_event.ts'
import { Channel, PrivateChannel } from '../../src/emitting/channels.ts'

class NewRelease extends BroadcastEvent {
  constructor(public version: string) {
    super()
  }
  broadcastOn() {
    return new Channel('releases')
  }
}

class AdminUserAlert extends BroadcastEvent {
  constructor(public message: string) {
    super()
  }
  broadcastOn() {
    return new PrivateChannel('admins')
  }
}

test.group('broadcast.fake', (group) => {
  let setup: Awaited<ReturnType<typeof pusherSetup>>
  group.each.setup(async () => {
    setup = await pusherSetup()
    return () => setup.server.close()
  })

  test('records instead of sending, and restore sends again', async ({ assert }) => {
    const fake = setup.manager.fake()
    await setup.manager.emit(new NewRelease('2.0'))
    assert.lengthOf(setup.server.requests, 0)
    assert.lengthOf(fake.messages, 1)

    setup.manager.restore()
    await setup.manager.emit(new NewRelease('2.1'))
    assert.lengthOf(setup.server.requests, 1)
  })

  test('assertEmitted matches by class, name and predicate', async ({ assert }) => {
    const fake = setup.manager.fake()
    await setup.manager.emit(new NewRelease('2.0'))

    fake.assertEmitted(NewRelease)
    fake.assertEmitted('NewRelease')
    fake.assertEmitted(NewRelease, ({ data }) => (data as any).version === '2.0')
    assert.throws(
      () => fake.assertEmitted(NewRelease, ({ data }) => (data as any).version === '3.0'),
      /Expected "NewRelease" to be broadcast matching the predicate/
    )
    assert.throws(() => fake.assertEmitted(AdminUserAlert), /Expected "AdminUserAlert"/)
  })

  test('assertEmittedOn checks the channel', async ({ assert }) => {
    const fake = setup.manager.fake()
    await setup.manager.emit(new AdminUserAlert('disk full'))

    fake.assertEmittedOn('private-admins', AdminUserAlert)
    assert.throws(
      () => fake.assertEmittedOn('releases', AdminUserAlert),
      /to be broadcast on "releases"/
    )
  })

  test('assertNotEmitted and assertNothingEmitted', async ({ assert }) => {
    const fake = setup.manager.fake()
    fake.assertNothingEmitted()
    fake.assertNotEmitted(NewRelease)

    await setup.manager.channel('releases', 'NewRelease', { version: '1' })
    assert.throws(() => fake.assertNothingEmitted(), /Expected nothing to be broadcast/)
    assert.throws(() => fake.assertNotEmitted('NewRelease'), /not to be broadcast/)
  })

  test('the fake still validates channels and payload sizes', async ({ assert }) => {
    setup.manager.fake()
    await assert.rejects(() => setup.manager.channel('bad name', 'X', {}), /Invalid channel name/)
    await assert.rejects(
      () => setup.manager.channel('ok', 'X', { blob: 'x'.repeat(20_000) }),
      /over the 10240 bytes limit/
    )
  })
})
