import { test } from '@japa/runner'
import type { Socket } from 'node:net'
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
 * Sends frames in one TCP write, so the server reads them together and
 * handles the later ones before the first subscription is authorized
 */
function sendTogether(client: RawClient, frames: unknown[]) {
  const socket = (client.ws as unknown as { _socket: Socket })._socket
  socket.cork()
  for (const frame of frames) client.send(frame)
  socket.uncork()
}

/**
 * Waits until the server handled everything sent so far, pending
 * authorizations included
 */
async function settled(client: RawClient) {
  const pongs = client.of('pusher:pong').length
  client.send({ event: 'pusher:ping', data: {} })
  await client.next((f) => f.event === 'pusher:pong' && client.of('pusher:pong').length > pongs)
  await sleep(100)
}

test.group('Embedded server | the later of subscribe and unsubscribe wins', (group) => {
  const clients = new Clients()
  group.each.teardown(() => clients.closeAll())

  test('public and private: subscribe + unsubscribe in one read leaves nothing subscribed', async ({
    assert,
  }) => {
    const driver = await localDriver()
    const authorize = await sdkAuthorizer()
    for (const channel of ['order-public', 'private-order']) {
      const client = await clients.raw()
      const auth = channel.startsWith('private-') ? await authorize(client.socketId, channel) : {}
      sendTogether(client, [
        { event: 'pusher:subscribe', data: { channel, ...auth } },
        { event: 'pusher:unsubscribe', data: { channel } },
      ])
      await settled(client)

      driver.server.publish([channel], 'Leak', '{}')
      await sleep(100)
      assert.deepEqual(client.of('Leak', channel), [], channel)
      assert.deepEqual(client.of('pusher_internal:subscription_succeeded', channel), [], channel)
      assert.equal((await driver.server.state.channel(channel)).subscriptionCount, 0, channel)
    }
  })

  test('presence: no ghost member, no member_added, an empty users list', async ({ assert }) => {
    const channel = 'presence-order'
    const observer = await clients.pusher({
      authorizer: await sdkAuthorizer({ user_id: 'observer' }),
    })
    await connected(observer)
    const observed = observer.subscribe(channel)
    await once(observed, 'pusher:subscription_succeeded')
    const added: unknown[] = []
    observed.bind('pusher:member_added', (member: unknown) => added.push(member))

    const ghost = await clients.raw()
    const auth = await (await sdkAuthorizer({ user_id: 'ghost' }))(ghost.socketId, channel)
    sendTogether(ghost, [
      { event: 'pusher:subscribe', data: { channel, ...auth } },
      { event: 'pusher:unsubscribe', data: { channel } },
    ])
    await settled(ghost)

    const api = await sdk()
    const users = await (await api.get({ path: `/channels/${channel}/users` })).json()
    assert.deepEqual(users, { users: [{ id: 'observer' }] })
    assert.deepEqual(added, [])
    assert.deepEqual(ghost.of('pusher_internal:subscription_succeeded', channel), [])
  })

  test('subscribe + unsubscribe + subscribe in one read: subscribed once', async ({ assert }) => {
    const driver = await localDriver()
    const channel = 'order-again'
    const client = await clients.raw()
    const subscribe = { event: 'pusher:subscribe', data: { channel } }
    sendTogether(client, [subscribe, { event: 'pusher:unsubscribe', data: { channel } }, subscribe])
    await settled(client)

    assert.lengthOf(client.of('pusher_internal:subscription_succeeded', channel), 1)
    driver.server.publish([channel], 'Wanted', '{}')
    await client.next((f) => f.event === 'Wanted')
    assert.equal((await driver.server.state.channel(channel)).subscriptionCount, 1)
  })
})
