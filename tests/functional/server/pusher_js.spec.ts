import { test } from '@japa/runner'
import { eventually } from '../../helpers/webhook_receiver.ts'
import {
  Clients,
  broadcastService,
  connected,
  localDriver,
  once,
  sdk,
  sdkAuthorizer,
  sleep,
  within,
  type Authorizer,
} from '../../helpers/server_clients.ts'

test.group('Embedded server | pusher-js', (group) => {
  const clients = new Clients()
  group.each.teardown(() => clients.closeAll())

  test('receives an event emitted through the local driver on a public channel', async ({
    assert,
  }) => {
    const pusher = await clients.pusher()
    const channel = pusher.subscribe('releases')
    await once(channel, 'pusher:subscription_succeeded')

    const received = once(channel, 'NewRelease')
    const broadcast = await broadcastService()
    await broadcast.use('local').channel('releases', 'NewRelease', { version: '2.0' })
    assert.deepEqual(await received, { version: '2.0' })
  })

  test('receives an event on a private channel it is authorized for', async ({ assert }) => {
    const pusher = await clients.pusher()
    const channel = pusher.subscribe('private-admins')
    await once(channel, 'pusher:subscription_succeeded')

    const received = once(channel, 'AdminNotice')
    const broadcast = await broadcastService()
    await broadcast.use('local').channel('private-admins', 'AdminNotice', { text: 'hi' })
    assert.deepEqual(await received, { text: 'hi' })
  })

  test('a forged signature, a signature for another socket and tampered channel_data are refused', async ({
    assert,
  }) => {
    const { key } = (await localDriver()).credentials
    const signer = await sdk()
    const forged: Authorizer = async () => ({ auth: `${key}:${'0'.repeat(64)}` })
    const otherSocket: Authorizer = async (_socketId, channel) =>
      signer.authorizeChannel('1234.5678', channel) as any
    const tampered: Authorizer = async (socketId, channel) => {
      const signed = signer.authorizeChannel(socketId, channel, {
        user_id: '2',
        user_info: { role: 'basic' },
      })
      return {
        auth: signed.auth,
        channel_data: JSON.stringify({ user_id: '1', user_info: { role: 'admin' } }),
      }
    }

    const cases: Array<[Authorizer, string]> = [
      [forged, 'private-vault'],
      [otherSocket, 'private-vault'],
      [tampered, 'presence-vault'],
    ]
    const broadcast = await broadcastService()
    for (const [authorizer, name] of cases) {
      const pusher = await clients.pusher({ authorizer })
      await connected(pusher)
      const channel = pusher.subscribe(name)
      const leaked: unknown[] = []
      channel.bind('Secret', (data: unknown) => leaked.push(data))
      let succeeded = false
      channel.bind('pusher:subscription_succeeded', () => (succeeded = true))

      const error = await once<{ status: number; error: string }>(
        channel,
        'pusher:subscription_error'
      )
      assert.equal(error.status, 401)
      await broadcast.use('local').channel(name, 'Secret', { leak: true })
      await sleep(100)
      assert.isFalse(succeeded, name)
      assert.deepEqual(leaked, [], name)
      assert.equal(pusher.connection.state, 'connected')
    }
  })

  test('presence: subscription_succeeded lists every member including self', async ({ assert }) => {
    const alice = await clients.pusher({
      authorizer: await sdkAuthorizer({ user_id: 1, user_info: { name: 'Alice' } }),
    })
    const aliceChannel = alice.subscribe('presence-room.1') as any
    await once(aliceChannel, 'pusher:subscription_succeeded')

    const bob = await clients.pusher({
      authorizer: await sdkAuthorizer({ user_id: 2, user_info: { name: 'Bob' } }),
    })
    const bobChannel = bob.subscribe('presence-room.1') as any
    const members = await once(bobChannel, 'pusher:subscription_succeeded')

    assert.equal(members.count, 2)
    assert.deepEqual(Object.keys(members.members).sort(), ['1', '2'])
    assert.deepEqual(members.members['1'], { name: 'Alice' })
    assert.equal(String(members.me.id), '2')
    assert.deepEqual(members.me.info, { name: 'Bob' })
  })

  test('presence: member_added and member_removed once per user across two sockets', async ({
    assert,
  }) => {
    const watcher = await clients.pusher({
      authorizer: await sdkAuthorizer({ user_id: 'w', user_info: {} }),
    })
    const watched = watcher.subscribe('presence-room.2')
    await once(watched, 'pusher:subscription_succeeded')
    const added: string[] = []
    const removed: string[] = []
    watched.bind('pusher:member_added', (member: any) => added.push(member.id))
    watched.bind('pusher:member_removed', (member: any) => removed.push(member.id))

    const asCarol = await sdkAuthorizer({ user_id: 'carol', user_info: { name: 'Carol' } })
    const tab1 = await clients.pusher({ authorizer: asCarol })
    await once(tab1.subscribe('presence-room.2'), 'pusher:subscription_succeeded')
    const tab2 = await clients.pusher({ authorizer: asCarol })
    const second = await once(tab2.subscribe('presence-room.2'), 'pusher:subscription_succeeded')
    assert.equal(second.count, 2)

    await sleep(100)
    assert.deepEqual(added, ['carol'])

    tab1.disconnect()
    await sleep(150)
    assert.deepEqual(removed, [])
    tab2.disconnect()
    await sleep(150)
    // Held for the leave-event delay: a reload would have taken it back
    assert.deepEqual(removed, [])
    await eventually(() => removed.length > 0, 'member_removed')
    assert.deepEqual(removed, ['carol'])
  })

  test('a page reload within the leave delay makes no member_removed or member_added', async ({
    assert,
  }) => {
    const watcher = await clients.pusher({
      authorizer: await sdkAuthorizer({ user_id: 'dave', user_info: {} }),
    })
    const watched = watcher.subscribe('presence-room.3')
    await once(watched, 'pusher:subscription_succeeded')
    const seen: string[] = []
    watched.bind('pusher:member_added', (member: any) => seen.push(`added ${member.id}`))
    watched.bind('pusher:member_removed', (member: any) => seen.push(`removed ${member.id}`))

    const asErin = await sdkAuthorizer({ user_id: 'erin', user_info: { v: 1 } })
    const before = await clients.pusher({ authorizer: asErin })
    await once(before.subscribe('presence-room.3'), 'pusher:subscription_succeeded')
    before.disconnect()
    await sleep(100)
    const after = await clients.pusher({ authorizer: asErin })
    const back = await once(after.subscribe('presence-room.3'), 'pusher:subscription_succeeded')
    assert.equal(back.count, 2)

    // A newcomer during the reload lists erin too
    const newcomer = await clients.pusher({
      authorizer: await sdkAuthorizer({ user_id: 'fay', user_info: {} }),
    })
    const listed = await once(
      newcomer.subscribe('presence-room.3'),
      'pusher:subscription_succeeded'
    )
    assert.sameMembers(Object.keys(listed.members), ['dave', 'erin', 'fay'])

    await sleep(3500)
    assert.deepEqual(seen, ['added erin', 'added fay'])
  })

  test('toOthers: the sender socket does not receive its own event', async ({ assert }) => {
    const sender = await clients.pusher()
    const other = await clients.pusher()
    const senderChannel = sender.subscribe('chat')
    const otherChannel = other.subscribe('chat')
    await once(senderChannel, 'pusher:subscription_succeeded')
    await once(otherChannel, 'pusher:subscription_succeeded')

    const echoed: unknown[] = []
    senderChannel.bind('MessagePosted', (data: unknown) => echoed.push(data))
    const received = once(otherChannel, 'MessagePosted')

    const broadcast = await broadcastService()
    await broadcast
      .use('local')
      .toOthers(sender.connection.socket_id)
      .channel('chat', 'MessagePosted', { id: 1 })
    assert.deepEqual(await received, { id: 1 })
    await sleep(100)
    assert.deepEqual(echoed, [])
  })

  test('sign-in, the user channel guard, toUser and terminate', async ({ assert }) => {
    const signer = await sdk()
    const driver = await localDriver()
    const signIn = (id: string) => async (socketId: string) =>
      signer.authenticateUser(socketId, { id }) as { auth: string; user_data: string }

    const user = await clients.pusher({ userAuth: signIn('42') })
    await connected(user)
    const userChannelJoined = within(
      new Promise<void>((resolve) =>
        user.connection.bind('message', (message: any) => {
          const joined = message.event === 'pusher_internal:subscription_succeeded'
          if (joined && message.channel === '#server-to-user-42') resolve()
        })
      ),
      'the user channel'
    )
    user.signin()
    await userChannelJoined

    const received = once(user.user, 'Notice')
    await driver.toUser(42, 'Notice', { text: 'for 42' })
    assert.deepEqual(await received, { text: 'for 42' })

    // Another socket may not join #server-to-user-42
    const intruder = await clients.raw()
    intruder.send({ event: 'pusher:subscribe', data: { channel: '#server-to-user-42', auth: '' } })
    const refused = await intruder.next((f) => f.event === 'pusher:subscription_error')
    assert.equal(refused.data.status, 403)
    await driver.toUser('42', 'Notice', { text: 'again' })
    await sleep(100)
    assert.lengthOf(intruder.of('Notice'), 0)

    const states: string[] = []
    user.connection.bind('state_change', ({ current }: any) => states.push(current))
    await driver.terminateUserConnections(42)
    await sleep(300)
    assert.include(states, 'disconnected')
    assert.notInclude(states, 'connected')
  })

  test('an unknown app key is refused with 4001 and no reconnect', async ({ assert }) => {
    const raw = await clients.raw('/app/not-the-key?protocol=7')
    const error = raw.frames[0]
    assert.equal(error.event, 'pusher:error')
    assert.equal(error.data.code, 4001)
    assert.equal(await raw.closed(), 4001)
  })
})
