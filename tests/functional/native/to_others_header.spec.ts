import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import User from '#models/user'
import broadcast from 'adonisjs-broadcasting/services/main'
import {
  NoteSaved,
  NoteShared,
  QueuedNoteSaved,
  SeenUser,
  openTransactions,
  type ToOthersPath,
} from '#tests/fixtures/to_others'

/**
 * What an event asking for toOthers does with the X-Socket-ID header, on
 * every path, recorded by the fake (which records queued events at once)
 */
test.group('toOthers on the dispatch path | the X-Socket-ID header', (group) => {
  let user: User
  group.each.setup(async () => {
    user = await User.findByOrFail('email', 'basic@example.com')
    const name = user.fullName
    return async () => {
      broadcast.restore()
      // A failed test must not leave SQLite locked for the next ones
      for (const trx of openTransactions.values()) await trx.rollback()
      openTransactions.clear()
      // The after-commit path renames the seeded user: later tests expect its name
      await User.query().where('id', user.id).update({ fullName: name })
    }
  })

  /**
   * Posts as the user, with the header when given; commits what the
   * request left open (after commit)
   */
  async function dispatch(
    client: ApiClient,
    path: ToOthersPath,
    header?: string
  ): Promise<{ status: number }> {
    let request = client.post('/__tests/to-others').json({ path }).withCsrfToken().loginAs(user)
    if (header !== undefined) request = request.header('X-Socket-ID', header)
    const response = await request
    const trx = openTransactions.get(user.id)
    openTransactions.delete(user.id)
    await trx?.commit()
    return { status: response.status() }
  }

  test('the socket id is on every message, taken at dispatch', async ({ client, assert }) => {
    const fake = broadcast.fake()
    for (const path of ['dispatch', 'queued', 'after-commit', 'shared'] as const) {
      await dispatch(client, path, '1234.5678')
    }

    fake.assertEmitted(NoteSaved, ({ socketId }) => socketId === '1234.5678')
    fake.assertEmitted(QueuedNoteSaved, ({ socketId }) => socketId === '1234.5678')
    fake.assertEmitted(SeenUser, 'updated', ({ socketId }) => socketId === '1234.5678')
    fake.assertEmitted(NoteShared, ({ socketId }) => socketId === '1234.5678')
    assert.lengthOf(fake.messages, 5)
    assert.isTrue(fake.messages.every(({ socketId }) => socketId === '1234.5678'))
  })

  test('without the header nobody is left out', async ({ client, assert }) => {
    const fake = broadcast.fake()
    await dispatch(client, 'dispatch')
    await dispatch(client, 'after-commit')

    assert.lengthOf(fake.messages, 3)
    assert.isTrue(fake.messages.every(({ socketId }) => socketId === undefined))
  })

  test('broadcastToEveryone() undoes dontBroadcastToCurrentUser()', async ({ client, assert }) => {
    const fake = broadcast.fake()
    await dispatch(client, 'shared-then-everyone', '1234.5678')

    fake.assertEmitted(NoteShared)
    assert.isUndefined(fake.messages[0].socketId)
  })

  test('a malformed header never throws: 200, and the event is not sent')
    .with(['555.777:private-admins', 'abc', '1.2.3', '-1.2', '1e3.2', 'x'.repeat(4000)])
    .run(async ({ client }, header) => {
      const fake = broadcast.fake()
      for (const path of ['dispatch', 'queued', 'after-commit', 'shared'] as const) {
        const { status } = await dispatch(client, path, header)
        if (status !== 200) throw new Error(`"${path}" answered ${status}`)
      }
      fake.assertNothingEmitted()
    })
})
