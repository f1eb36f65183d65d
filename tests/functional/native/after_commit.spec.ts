import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { BaseEvent } from '@adonisjs/core/events'
import broadcast from 'adonisjs-broadcasting/services/main'
import User from '#models/user'
import { PrivateChannel } from '../../../src/emitting/channels.ts'
import { pusherSetup } from '../../helpers/broadcast.ts'

/**
 * Waits for the transaction the user was created in
 */
class UserInvited extends BaseEvent {
  constructor(public user: User) {
    super()
  }

  broadcastOn() {
    return new PrivateChannel(`${this.user.id}`)
  }

  broadcastWith() {
    return { id: this.user.id }
  }

  broadcastAfterCommit() {
    return true
  }
}

/**
 * Holds its user one level down, where the search of direct fields does
 * not look
 */
class WrappedUserInvited extends BaseEvent {
  constructor(public wrapper: { user: User }) {
    super()
  }

  broadcastOn() {
    return new PrivateChannel(`${this.wrapper.user.id}`)
  }

  broadcastWith() {
    return { id: this.wrapper.user.id }
  }

  broadcastAfterCommit() {
    return true
  }
}

/**
 * The same, naming its transaction
 */
class NamedUserInvited extends WrappedUserInvited {
  broadcastTransaction() {
    return this.wrapper.user.$trx
  }
}

let counter = 0
function newUser(trx: any) {
  counter++
  return User.create(
    {
      fullName: `Invited ${counter}`,
      email: `invited-${counter}@example.com`,
      password: 'secret',
      role: 'basic',
    },
    { client: trx }
  )
}

test.group('After commit', (group) => {
  group.each.teardown(() => broadcast.restore())

  test('broadcast.afterCommit(trx): nothing before the commit, once after it', async ({
    assert,
  }) => {
    const fake = broadcast.fake()
    const trx = await db.transaction()
    try {
      const user = await newUser(trx)
      await broadcast.afterCommit(trx).emit(new UserInvited(user))
      await broadcast.afterCommit(trx).channel('releases', 'Invited', { id: user.id })
      assert.lengthOf(fake.messages, 0)
    } finally {
      // A failed assertion must not leave SQLite locked for the next tests
      await trx.commit()
    }
    assert.deepEqual(
      fake.messages.map((m) => m.event),
      ['UserInvited', 'Invited']
    )
  })

  test('broadcast.afterCommit(trx): a rollback sends nothing', async ({ assert }) => {
    const fake = broadcast.fake()
    const trx = await db.transaction()
    const user = await newUser(trx)
    await broadcast.afterCommit(trx).emit(new UserInvited(user))
    await trx.rollback()

    assert.lengthOf(fake.messages, 0)
    assert.isNull(await User.findBy('email', user.email))
  })

  test('an after-commit event dispatched in a managed transaction goes out on commit', async ({
    assert,
  }) => {
    const fake = broadcast.fake()
    await db.transaction(async (trx) => {
      const user = await newUser(trx)
      await UserInvited.dispatch(user)
      assert.lengthOf(fake.messages, 0)
    })
    assert.lengthOf(fake.messages, 1)
  })

  test('an after-commit event dispatched in a transaction that fails sends nothing', async ({
    assert,
  }) => {
    const fake = broadcast.fake()
    await assert.rejects(() =>
      db.transaction(async (trx) => {
        const user = await newUser(trx)
        await UserInvited.dispatch(user)
        throw new Error('payment declined')
      })
    )
    assert.lengthOf(fake.messages, 0)
  })

  test('outside a transaction an after-commit event is sent at once', async ({ assert }) => {
    const setup = await pusherSetup()
    try {
      const user = await User.findByOrFail('email', 'basic@example.com')
      await setup.manager.emit(new UserInvited(user))
      assert.lengthOf(setup.server.requests, 1)
      // Nothing tells "outside" from "not found": it says so
      const warning = setup.logs.find((entry) => entry.level === 'warn')
      assert.deepInclude(warning?.args[0] as object, { event: 'UserInvited' })
    } finally {
      await setup.server.close()
    }
  })

  test('dispatched in a savepoint: sent when the outer transaction commits, never on its rollback', async ({
    assert,
  }) => {
    const fake = broadcast.fake()
    await db.transaction(async (trx) => {
      await trx.transaction(async (nested) => UserInvited.dispatch(await newUser(nested)))
      assert.lengthOf(fake.messages, 0)
    })
    assert.lengthOf(fake.messages, 1)

    await assert.rejects(() =>
      db.transaction(async (trx) => {
        await trx.transaction(async (nested) => {
          await broadcast.afterCommit(nested).emit(new UserInvited(await newUser(nested)))
          await UserInvited.dispatch(await newUser(nested))
        })
        throw new Error('payment declined')
      })
    )
    assert.lengthOf(fake.messages, 1)
  })

  test('a savepoint rolled back inside a committed transaction sends nothing', async ({
    assert,
  }) => {
    const fake = broadcast.fake()
    await db.transaction(async (trx) => {
      const nested = await trx.transaction()
      await UserInvited.dispatch(await newUser(nested))
      await nested.rollback()
    })
    assert.lengthOf(fake.messages, 0)
  })

  test('no transaction found for an after-commit event: sent at once, with a warning naming it', async ({
    assert,
  }) => {
    const setup = await pusherSetup()
    try {
      const trx = await db.transaction()
      const user = await newUser(trx)
      await setup.manager.emit(new WrappedUserInvited({ user }))
      await setup.manager.emit(new WrappedUserInvited({ user }))
      await trx.rollback()

      assert.lengthOf(setup.server.requests, 2)
      const warnings = setup.logs.filter((entry) => entry.level === 'warn')
      // Once per event class: it is the class that does not say where its transaction is
      assert.lengthOf(warnings, 1)
      assert.deepInclude(warnings[0].args[0] as object, { event: 'WrappedUserInvited' })
      assert.match(String(warnings[0].args[1]), /WrappedUserInvited.*broadcastTransaction\(\)/)
    } finally {
      await setup.server.close()
    }
  })

  test('broadcastTransaction() names the transaction: nothing on rollback, sent on commit, no warning', async ({
    assert,
  }) => {
    const setup = await pusherSetup()
    try {
      const rolledBack = await db.transaction()
      await setup.manager.emit(new NamedUserInvited({ user: await newUser(rolledBack) }))
      await rolledBack.rollback()
      assert.lengthOf(setup.server.requests, 0)

      const committed = await db.transaction()
      await setup.manager.emit(new NamedUserInvited({ user: await newUser(committed) }))
      assert.lengthOf(setup.server.requests, 0)
      await committed.commit()
      assert.lengthOf(setup.server.requests, 1)

      // Outside a transaction it names none: sent at once, as it says
      const user = await User.findByOrFail('email', 'basic@example.com')
      await setup.manager.emit(new NamedUserInvited({ user }))
      assert.lengthOf(setup.server.requests, 2)
      assert.notExists(setup.logs.find((entry) => entry.level === 'warn'))
    } finally {
      await setup.server.close()
    }
  })

  test('a failed send after the commit is logged, and the commit still succeeds', async ({
    assert,
  }) => {
    const setup = await pusherSetup({ onFailure: 'throw', retry: { retries: 0 } })
    try {
      setup.server.respondWith(500)
      const trx = await db.transaction()
      const user = await newUser(trx)
      await setup.manager.afterCommit(trx).emit(new UserInvited(user))
      await trx.commit()

      assert.lengthOf(setup.server.requests, 1)
      assert.isNotNull(await User.findBy('email', user.email))
      const logged = setup.logs.find((entry) => entry.level === 'error')
      assert.equal(logged?.args[1], 'broadcast failed after commit')
    } finally {
      await setup.server.close()
    }
  })
})
