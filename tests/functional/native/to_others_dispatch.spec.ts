import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import type Echo from 'laravel-echo'
import User from '#models/user'
import { checkPolicy } from 'adonisjs-broadcasting/testing'
import {
  Clients,
  broadcastService,
  sdk,
  within,
  type Authorizer,
  type ChannelAuth,
} from '../../helpers/server_clients.ts'
import { useRedisQueue } from '../../helpers/redis_queue.ts'
import { openTransactions } from '#tests/fixtures/to_others'

/**
 * Signs what the app's policies allow this user, as the auth route would
 */
async function policyAuthorizer(user: User): Promise<Authorizer> {
  const signer = await sdk()
  const policies = await app.container.make('broadcast.policies')
  return async (socketId, channel) => {
    const decision = await checkPolicy(policies, user, channel, { socketId })
    if (!decision.allowed) throw new Error(decision.reason)
    return signer.authorizeChannel(socketId, channel) as ChannelAuth
  }
}

/**
 * One browser tab of the user: laravel-echo on "private-user.<id>", every
 * event it hears in order
 */
class Tab {
  readonly heard: string[] = []
  #waiters: Array<{ event: string; resolve: () => void }> = []

  constructor(readonly echo: Echo<any>) {}

  static async open(clients: Clients, user: User) {
    const tab = new Tab(await clients.echo(await policyAuthorizer(user)))
    const channel = tab.echo.private(`user.${user.id}`)
    channel.listenToAll((event: string) => tab.#hear(event.replace(/^\./, '')))
    await within(new Promise((resolve) => channel.subscribed(resolve)), 'the subscription')
    return tab
  }

  /**
   * What laravel-echo's interceptors send as X-Socket-ID
   */
  get socketId(): string {
    return this.echo.socketId()!
  }

  waitFor(event: string): Promise<void> {
    if (this.heard.includes(event)) return Promise.resolve()
    return within(
      new Promise((resolve) => this.#waiters.push({ event, resolve })),
      `"${event}" on a tab`,
      10_000
    )
  }

  #hear(event: string) {
    this.heard.push(event)
    for (const waiter of this.#waiters.filter((w) => w.event === event)) waiter.resolve()
    this.#waiters = this.#waiters.filter((w) => w.event !== event)
  }
}

/**
 * A marker sent to every socket of the channel after the event: once a tab
 * has it, the event would have reached that tab before it (one socket's
 * frames keep their order), so its absence is not a matter of waiting
 */
let markers = 0
async function allDelivered(user: User, tabs: Tab[]) {
  const marker = `Marker${++markers}`
  const broadcast = await broadcastService()
  await broadcast.use('local').channel(`private-user.${user.id}`, marker, {})
  await Promise.all(tabs.map((tab) => tab.waitFor(marker)))
}

function events(tab: Tab) {
  return tab.heard.filter((event) => !event.startsWith('Marker'))
}

test.group('toOthers on the dispatch path | two tabs of one user, laravel-echo', (group) => {
  const clients = new Clients()
  let user: User
  let sender: Tab
  let other: Tab
  group.each.setup(async () => {
    user = await User.findByOrFail('email', 'basic@example.com')
    sender = await Tab.open(clients, user)
    other = await Tab.open(clients, user)
    return () => clients.closeAll()
  })

  test('a dispatched class event asking for it skips the sender: the other tab gets it', async ({
    client,
    assert,
  }) => {
    const response = await client
      .post('/__tests/to-others')
      .json({ path: 'dispatch' })
      .header('X-Socket-ID', sender.socketId)
      .withCsrfToken()
      .loginAs(user)
    response.assertStatus(200)

    await other.waitFor('NoteSaved')
    await allDelivered(user, [sender, other])
    assert.deepEqual(events(other), ['NoteSaved'])
    assert.deepEqual(events(sender), [])
  })

  test('without the opt-in, the sender gets it too', async ({ client, assert }) => {
    await client
      .post('/__tests/to-others')
      .json({ path: 'everyone' })
      .header('X-Socket-ID', sender.socketId)
      .withCsrfToken()
      .loginAs(user)

    await allDelivered(user, [sender, other])
    assert.deepEqual(events(sender), ['NoteSavedForEveryone'])
    assert.deepEqual(events(other), ['NoteSavedForEveryone'])
  })

  test("dontBroadcastToCurrentUser() skips the sender (Laravel's shape)", async ({
    client,
    assert,
  }) => {
    await client
      .post('/__tests/to-others')
      .json({ path: 'shared' })
      .header('X-Socket-ID', sender.socketId)
      .withCsrfToken()
      .loginAs(user)

    await other.waitFor('NoteShared')
    await allDelivered(user, [sender, other])
    assert.deepEqual(events(sender), [])
  })

  test('after commit: the socket taken at dispatch is left out when the commit comes later', async ({
    client,
    assert,
    cleanup,
  }) => {
    // The request renames the seeded user: later tests expect the seeded name
    const name = user.fullName
    cleanup(async () => {
      await User.query().where('id', user.id).update({ fullName: name })
    })
    const response = await client
      .post('/__tests/to-others')
      .json({ path: 'after-commit' })
      .header('X-Socket-ID', sender.socketId)
      .withCsrfToken()
      .loginAs(user)
    response.assertStatus(200)

    const trx = openTransactions.get(user.id)!
    openTransactions.delete(user.id)
    try {
      await allDelivered(user, [sender, other])
      assert.deepEqual(events(other), [], 'nothing before the commit')
    } finally {
      // After the response, outside the request; SQLite must not stay locked
      await trx.commit()
    }

    await other.waitFor('NoteSavedAfterCommit')
    await other.waitFor('SeenUserUpdated')
    await allDelivered(user, [sender, other])
    assert.sameMembers(events(other), ['NoteSavedAfterCommit', 'SeenUserUpdated'])
    assert.deepEqual(events(sender), [])
  })

  test('queued: a worker run after the request leaves the sender out', async ({
    client,
    assert,
    cleanup,
  }) => {
    const queue = await useRedisQueue()
    cleanup(() => queue.restore())

    const response = await client
      .post('/__tests/to-others')
      .json({ path: 'queued' })
      .header('X-Socket-ID', sender.socketId)
      .withCsrfToken()
      .loginAs(user)
    response.assertStatus(200)
    await allDelivered(user, [sender, other])
    assert.deepEqual(events(other), [], 'the request only pushed a job')

    await queue.work(['broadcasts'], () => other.heard.includes('QueuedNoteSaved'))
    await allDelivered(user, [sender, other])
    assert.deepEqual(events(other), ['QueuedNoteSaved'])
    assert.deepEqual(events(sender), [])
  }).timeout(60_000)
})
