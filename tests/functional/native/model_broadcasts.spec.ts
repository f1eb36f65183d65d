import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import broadcast from 'adonisjs-broadcasting/services/main'
import AppUser from '#models/user'
import { Channel } from '../../../src/emitting/channels.ts'
import { useModelBroadcaster, withBroadcasts, type ModelAction } from '../../../src/mixins/lucid.ts'
import { commandProcess, pusherSetup, recordingLogger } from '../../helpers/broadcast.ts'
import { PusherApiServer } from '../../helpers/pusher_api_server.ts'

/**
 * The app's User model (its password column is "serializeAs: null"), with
 * the mixin
 */
class User extends withBroadcasts()(AppUser) {}

/**
 * A subclass of a model with the mixin: Lucid copies User's hooks to it
 */
class Admin extends User {
  static table = 'users'
}

/**
 * Overrides: created only, on a public channel, under its own name
 */
class Invitee extends withBroadcasts({ actions: ['created'] })(AppUser) {
  static table = 'users'

  broadcastOn(action: ModelAction) {
    return new Channel(`invitations.${action}`)
  }
  broadcastAs(action: ModelAction) {
    return `invitee.${action}`
  }
}

function useAppBroadcaster() {
  useModelBroadcaster(async () => ({
    broadcast: await app.container.make('broadcast'),
    logger: await app.container.make('logger'),
  }))
}

let counter = 0
function fields() {
  counter++
  return {
    fullName: `Model ${counter}`,
    email: `model-${counter}@example.com`,
    password: 'secret',
    role: 'basic' as const,
  }
}

test.group('Lucid models | withBroadcasts', (group) => {
  group.each.teardown(() => broadcast.restore())

  test('created, updated and deleted go out as UserCreated, UserUpdated, UserDeleted', async ({
    assert,
  }) => {
    const fake = broadcast.fake()
    const user = await User.create(fields())
    user.fullName = 'Renamed'
    await user.save()
    await user.delete()

    assert.deepEqual(
      fake.messages.map((m) => [m.event, m.channels]),
      [
        ['UserCreated', [`private-user.${user.id}`]],
        ['UserUpdated', [`private-user.${user.id}`]],
        ['UserDeleted', [`private-user.${user.id}`]],
      ]
    )
    assert.equal((fake.messages[1].data as any).fullName, 'Renamed')
  })

  test('the payload is serialize(): the password hash never leaves', async ({ assert }) => {
    const fake = broadcast.fake()
    const user = await User.create(fields())

    const data = fake.messages[0].data as Record<string, unknown>
    assert.deepEqual(data, JSON.parse(JSON.stringify(user.serialize())))
    assert.equal(data.email, user.email)
    assert.notProperty(data, 'password')
    assert.notInclude(JSON.stringify(fake.messages), user.password)
  })

  test('inside a transaction: sent on commit, never on rollback', async ({ assert }) => {
    const fake = broadcast.fake()
    const trx = await db.transaction()
    try {
      await User.create(fields(), { client: trx })
      assert.lengthOf(fake.messages, 0)
    } finally {
      await trx.commit()
    }
    assert.lengthOf(fake.messages, 1)

    const rolledBack = await db.transaction()
    const ghost = await User.create(fields(), { client: rolledBack })
    ghost.fullName = 'Ghost'
    await ghost.save()
    await rolledBack.rollback()
    assert.lengthOf(fake.messages, 1)
  })

  test('saved in a savepoint: nothing at its release, sent when the outer transaction commits', async ({
    assert,
  }) => {
    const fake = broadcast.fake()
    let id: number | undefined
    await db.transaction(async (trx) => {
      const user = await trx.transaction((nested) => User.create(fields(), { client: nested }))
      id = user.id
      assert.lengthOf(fake.messages, 0)
    })
    assert.deepEqual(
      fake.messages.map((m) => [m.event, m.channels]),
      [['UserCreated', [`private-user.${id}`]]]
    )
  })

  test('saved in a savepoint, outer transaction rolled back: nothing, and no row', async ({
    assert,
  }) => {
    const fake = broadcast.fake()
    const email = fields().email
    await assert.rejects(() =>
      db.transaction(async (trx) => {
        await trx.transaction((nested) => User.create({ ...fields(), email }, { client: nested }))
        throw new Error('payment declined')
      })
    )
    assert.isNull(await AppUser.findBy('email', email))
    assert.lengthOf(fake.messages, 0)
  })

  test('three levels deep: sent only when the outermost commits, never when a middle one rolls back', async ({
    assert,
  }) => {
    const fake = broadcast.fake()
    await db.transaction(async (outer) => {
      await outer.transaction(async (middle) => {
        await middle.transaction((inner) => User.create(fields(), { client: inner }))
      })
      assert.lengthOf(fake.messages, 0)

      const middle = await outer.transaction()
      await middle.transaction((inner) => User.create(fields(), { client: inner }))
      await middle.rollback()
      assert.lengthOf(fake.messages, 0)
    })
    assert.deepEqual(
      fake.messages.map((m) => m.event),
      ['UserCreated']
    )
  })

  test("a test's global transaction counts as none: a transaction inside it sends on commit", async ({
    assert,
  }) => {
    const fake = broadcast.fake()
    await db.beginGlobalTransaction()
    try {
      await db.transaction((trx) => User.create(fields(), { client: trx }))
      assert.deepEqual(
        fake.messages.map((m) => m.event),
        ['UserCreated']
      )
    } finally {
      await db.rollbackGlobalTransaction()
    }
  })

  test('a subclass broadcasts each action once, under its own name', async ({ assert }) => {
    // User booted first: Lucid then copies its hooks to Admin
    User.boot()
    const fake = broadcast.fake()
    const admin = await Admin.create(fields())
    admin.fullName = 'Renamed'
    await admin.save()
    await admin.delete()

    assert.deepEqual(
      fake.messages.map((m) => [m.event, m.channels]),
      [
        ['AdminCreated', [`private-admin.${admin.id}`]],
        ['AdminUpdated', [`private-admin.${admin.id}`]],
        ['AdminDeleted', [`private-admin.${admin.id}`]],
      ]
    )

    const user = await User.create(fields())
    assert.deepEqual(fake.messages.at(-1)?.event, 'UserCreated')
    assert.lengthOf(fake.messages, 4)
    assert.isNotNull(await AppUser.find(user.id))
  })

  test('channel, name and actions can be overridden', async ({ assert }) => {
    const fake = broadcast.fake()
    const invitee = await Invitee.create(fields())
    invitee.fullName = 'Changed'
    await invitee.save()
    await invitee.delete()

    assert.deepEqual(
      fake.messages.map((m) => [m.event, m.channels]),
      [['invitee.created', ['invitations.created']]]
    )
  })

  test('saved outside a transaction: sent at once, with no warning about a missing one', async ({
    assert,
  }) => {
    const setup = await pusherSetup()
    useModelBroadcaster(async () => ({
      broadcast: setup.manager,
      logger: recordingLogger().logger,
    }))
    try {
      await User.create(fields())
      assert.lengthOf(setup.server.requests, 1)
      assert.deepEqual(setup.logs, [])
    } finally {
      useAppBroadcaster()
      await setup.server.close()
    }
  })

  test('a failed broadcast is logged and never fails the save', async ({ assert }) => {
    const setup = await pusherSetup({ onFailure: 'throw', retry: { retries: 0 } })
    setup.server.respondWith(500)
    const logged: unknown[] = []
    useModelBroadcaster(async () => ({
      broadcast: setup.manager,
      logger: { error: (...args: unknown[]) => logged.push(args) } as any,
    }))
    try {
      const user = await User.create(fields())
      assert.isNotNull(await AppUser.find(user.id))
      assert.lengthOf(setup.server.requests, 1)
      assert.lengthOf(logged, 1)
    } finally {
      useAppBroadcaster()
      await setup.server.close()
    }
  })

  test('a seeder saving models while the app is down logs one line naming publishTo, not one per model', async ({
    assert,
  }) => {
    const down = await new PusherApiServer().start()
    const port = down.port
    await down.close()
    const { manager, logger, logs: entries } = await commandProcess(port)
    useModelBroadcaster(async () => ({ broadcast: manager, logger }))
    try {
      for (let index = 0; index < 3; index++) await User.create(fields())

      const errors = entries.filter((entry) => entry.level === 'error')
      assert.lengthOf(errors, 1)
      assert.include(String(errors[0].args[0]), `http://127.0.0.1:${port}`)
      assert.include(String(errors[0].args[0]), 'Is the app running?')
    } finally {
      useAppBroadcaster()
      await manager.close()
    }
  }).timeout(20_000)
})
