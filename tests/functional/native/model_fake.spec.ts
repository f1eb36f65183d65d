import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import broadcast from 'adonisjs-broadcasting/services/main'
import Release from '#models/release'
import AppUser from '#models/user'
import { Channel } from '../../../src/emitting/channels.ts'
import { useModelBroadcaster, withBroadcasts } from '../../../src/mixins/lucid.ts'

/**
 * The app's User with the mixin: a second model
 */
class User extends withBroadcasts()(AppUser) {}

/**
 * An event of the app's own holding a model in a "model" field: a model
 * class must not match it
 */
class ReleaseMentioned {
  constructor(public model: Release) {}
  broadcastOn() {
    return new Channel('releases')
  }
  broadcastWith() {
    return { id: this.model.id }
  }
}

let counter = 0
function newRelease() {
  counter++
  return Release.create({ version: `9.${counter}.0`, message: 'Faked' })
}
function newUser() {
  counter++
  return User.create({
    fullName: `Faked ${counter}`,
    email: `faked-${counter}@example.com`,
    password: 'secret',
    role: 'basic',
  })
}

test.group('broadcast.fake() | Lucid models by class and action', (group) => {
  group.setup(() => {
    useModelBroadcaster(async () => ({
      broadcast: await app.container.make('broadcast'),
      logger: await app.container.make('logger'),
    }))
  })
  group.each.teardown(() => broadcast.restore())

  test('a model class matches its events; with an action, that action only', async ({ assert }) => {
    const fake = broadcast.fake()
    const release = await newRelease()

    fake.assertEmitted(Release)
    fake.assertEmitted(Release, 'created')
    fake.assertEmitted(Release, 'created', ({ data }) => (data as any).id === release.id)
    fake.assertEmitted('ReleaseCreated')
    fake.assertNotEmitted(Release, 'updated')
    assert.lengthOf(fake.emitted(Release, 'created'), 1)
  })

  test('the wrong action fails, naming what was broadcast', async ({ assert }) => {
    const fake = broadcast.fake()
    await newRelease()

    assert.throws(
      () => fake.assertEmitted(Release, 'deleted'),
      'Expected "Release" deleted to be broadcast. Broadcast: "ReleaseCreated" (Release created) on releases'
    )
    assert.throws(
      () => fake.assertEmitted(Release, 'created', ({ data }) => (data as any).id === -1),
      /Expected "Release" created to be broadcast matching the predicate/
    )
    assert.throws(() => fake.assertNotEmitted(Release, 'created'), /not to be broadcast/)
  })

  test('the wrong class fails; an event holding a model in "model" is not that model', async ({
    assert,
  }) => {
    const fake = broadcast.fake()
    const release = await newRelease()
    await broadcast.emit(new ReleaseMentioned(release))

    assert.throws(
      () => fake.assertEmitted(User),
      'Expected "User" to be broadcast. Broadcast: "ReleaseCreated" (Release created) on releases; "ReleaseMentioned" on releases'
    )
    fake.assertNotEmitted(User)
    assert.lengthOf(fake.emitted(Release), 1)
    fake.assertEmitted(ReleaseMentioned)
  })

  test('another model: each class matches its own events', async ({ assert }) => {
    const fake = broadcast.fake()
    await newRelease()
    const user = await newUser()
    user.fullName = 'Renamed'
    await user.save()

    fake.assertEmitted(User, 'created')
    fake.assertEmitted(User, 'updated', ({ channels }) =>
      channels.includes(`private-user.${user.id}`)
    )
    fake.assertEmittedOn(`private-user.${user.id}`, User)
    assert.deepEqual(
      fake.emitted(User).map(({ event }) => event),
      ['UserCreated', 'UserUpdated']
    )
    assert.deepEqual(
      fake.emitted(Release).map(({ event }) => event),
      ['ReleaseCreated']
    )
    assert.throws(() => fake.assertEmitted(Release, 'updated'), /"Release" updated/)
  })
})
