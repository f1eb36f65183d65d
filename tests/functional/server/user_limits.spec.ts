import { test } from '@japa/runner'
import {
  Clients,
  type RawClient,
  connected,
  localDriver,
  once,
  sdk,
  sdkAuthorizer,
  sleep,
} from '../../helpers/server_clients.ts'

/**
 * A raw socket in a presence channel as the given user
 */
async function joinAs(clients: Clients, channel: string, userId: string) {
  const client = await clients.raw()
  const auth = await (await sdkAuthorizer({ user_id: userId }))(client.socketId, channel)
  client.send({ event: 'pusher:subscribe', data: { channel, ...auth } })
  const answer = await client.next(
    (f) =>
      f.channel === channel &&
      (f.event === 'pusher_internal:subscription_succeeded' ||
        f.event === 'pusher:subscription_error')
  )
  return { client, answer }
}

/**
 * A raw socket signed in as the user, subscribed to a private channel
 */
async function signedInPrivate(clients: Clients, channel: string, userId?: string) {
  const client = await clients.raw()
  const api = await sdk()
  if (userId) {
    client.send({
      event: 'pusher:signin',
      data: api.authenticateUser(client.socketId, { id: userId }),
    })
    await client.next((f) => f.event === 'pusher:signin_success')
  }
  const auth = await (await sdkAuthorizer())(client.socketId, channel)
  client.send({ event: 'pusher:subscribe', data: { channel, ...auth } })
  const answer = await client.next(
    (f) =>
      f.channel === channel &&
      (f.event === 'pusher_internal:subscription_succeeded' ||
        f.event === 'pusher:subscription_error')
  )
  return { client, answer }
}

test.group('Embedded server | limits per user and channel', (group) => {
  const clients = new Clients()
  group.each.teardown(() => clients.closeAll())

  test('presence: the 11th socket of one user is refused (403); a freed slot can be taken', async ({
    assert,
  }) => {
    const { limits } = (await localDriver()).server
    assert.equal(limits.maxSocketsPerUserPerChannel, 10)
    const channel = 'presence-crowd'

    const joined: RawClient[] = []
    for (let i = 0; i < 10; i++) {
      const { client, answer } = await joinAs(clients, channel, 'crowd')
      assert.equal(answer.event, 'pusher_internal:subscription_succeeded')
      joined.push(client)
    }

    // Seen from pusher-js: a channel-scoped subscription error with status 403
    const pusher = await clients.pusher({ authorizer: await sdkAuthorizer({ user_id: 'crowd' }) })
    await connected(pusher)
    const error: any = await once(pusher.subscribe(channel), 'pusher:subscription_error')
    assert.equal(error.status, 403)
    assert.include(error.error, 'Too many connections of user "crowd"')

    // Another user is not affected
    const other = await joinAs(clients, channel, 'someone-else')
    assert.equal(other.answer.event, 'pusher_internal:subscription_succeeded')

    // Leaving (unsubscribe or close) frees a slot
    joined[0].send({ event: 'pusher:unsubscribe', data: { channel } })
    joined[1].ws.close()
    await joined[1].closed()
    await sleep(50)
    for (let i = 0; i < 2; i++) {
      const again = await joinAs(clients, channel, 'crowd')
      assert.equal(again.answer.event, 'pusher_internal:subscription_succeeded')
    }
    const refused = await joinAs(clients, channel, 'crowd')
    assert.equal(refused.answer.event, 'pusher:subscription_error')
  }).timeout(20_000)

  test('private: sockets signed in as one user are capped; anonymous sockets are not counted', async ({
    assert,
  }) => {
    const channel = 'private-capped'
    for (let i = 0; i < 10; i++) {
      const { answer } = await signedInPrivate(clients, channel, 'tabs')
      assert.equal(answer.event, 'pusher_internal:subscription_succeeded')
    }
    const refused = await signedInPrivate(clients, channel, 'tabs')
    assert.equal(refused.answer.event, 'pusher:subscription_error')
    assert.equal(refused.answer.data.status, 403)

    const anonymous = await signedInPrivate(clients, channel)
    assert.equal(anonymous.answer.event, 'pusher_internal:subscription_succeeded')
  }).timeout(20_000)

  test('client events: 3 sockets of one user at 10/s each deliver 20/s, the rest get 4301', async ({
    assert,
  }) => {
    const { limits } = (await localDriver()).server
    assert.equal(limits.clientEventsPerUserPerSecond, 20)
    // The example app's policy enables client events on presence-chat.<id>
    const channel = 'presence-chat.77'
    const { client: listener } = await joinAs(clients, channel, 'listener')
    const senders: RawClient[] = []
    for (let i = 0; i < 3; i++) senders.push((await joinAs(clients, channel, 'chatty')).client)

    for (let n = 0; n < 10; n++) {
      for (const sender of senders) {
        sender.send({ event: 'client-typing', channel, data: { n } })
      }
    }
    await sleep(300)

    const received = listener.of('client-typing', channel)
    assert.lengthOf(received, 20)
    assert.isTrue(received.every((frame) => frame.user_id === 'chatty'))
    const limited = senders
      .flatMap((sender) => sender.of('pusher:error'))
      .filter((frame) => frame.data.code === 4301)
    assert.lengthOf(limited, 10)
    assert.include(limited[0].data.message, 'for this user')
  })
})
