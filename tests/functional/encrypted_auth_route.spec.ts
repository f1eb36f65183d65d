import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import { createHash } from 'node:crypto'
import PusherSdk from 'pusher'
import User from '#models/user'
import env from '#start/env'
import AdminNote from '#events/admin_note'
import { AppSession } from '../helpers/app_session.ts'
import { Clients, broadcastService, once, port, sleep, within } from '../helpers/server_clients.ts'
import { wireTap } from '../helpers/encrypted_wire.ts'

const SOCKET_ID = '1234.5678'
const CHANNEL = 'private-encrypted-admin-notes'
const MASTER_KEY = env.get('PUSHER_ENCRYPTION_MASTER_KEY_BASE64')!

/**
 * The official SDK with the app's credentials and master key: what the
 * auth route must answer, and a signer for a raw subscriber
 */
function officialSdk() {
  return new PusherSdk({
    appId: env.get('PUSHER_APP_ID'),
    key: env.get('PUSHER_APP_KEY'),
    secret: env.get('PUSHER_APP_SECRET').release(),
    host: '127.0.0.1',
    port: String(port()),
    useTLS: false,
    encryptionMasterKeyBase64: MASTER_KEY,
  })
}

function authorize(client: ApiClient, channel: unknown, user?: User) {
  const request = client
    .post('/broadcasting/authorize')
    .json({ socket_id: SOCKET_ID, channel_name: channel })
    .withCsrfToken()
  return user ? request.loginAs(user) : request
}

test.group('Encrypted channels | the auth route', () => {
  test('an admin gets the signature and the channel key the SDK computes', async ({
    client,
    assert,
  }) => {
    assert.isString(MASTER_KEY)
    const admin = await User.findByOrFail('email', 'admin@example.com')
    const response = await authorize(client, CHANNEL, admin)

    response.assertStatus(200)
    assert.deepEqual(response.body(), officialSdk().authorizeChannel(SOCKET_ID, CHANNEL))
    // The SDK's scheme, written out: SHA-256 of the channel name then the master key
    const key = createHash('sha256')
      .update(Buffer.concat([Buffer.from(CHANNEL), Buffer.from(MASTER_KEY, 'base64')]))
      .digest('base64')
    assert.equal(response.body().shared_secret, key)
  })

  test('a channel the policy denies gets no key: basic user, guest, no policy', async ({
    client,
    assert,
  }) => {
    const basic = await User.findByOrFail('email', 'basic@example.com')
    const admin = await User.findByOrFail('email', 'admin@example.com')
    for (const [channel, user] of [
      [CHANNEL, basic],
      [CHANNEL, undefined],
      ['private-encrypted-no-policy', admin],
    ] as const) {
      const response = await authorize(client, channel, user)
      response.assertStatus(403)
      assert.notProperty(response.body(), 'shared_secret')
      assert.notProperty(response.body(), 'auth')
    }
  })

  test('malformed requests get a 4xx and no key, never a 500', async ({ client, assert }) => {
    const admin = await User.findByOrFail('email', 'admin@example.com')
    const atLimit = 'private-encrypted-'.padEnd(200, 'x')
    for (const channel of [
      undefined,
      '',
      [CHANNEL],
      { name: CHANNEL },
      `${CHANNEL}\u0000`,
      'private-encrypted-',
      atLimit,
      `${atLimit}x`,
      'x'.repeat(100_000),
    ]) {
      const response = await authorize(client, channel, admin)
      assert.isAtLeast(response.status(), 400, String(channel).slice(0, 40))
      assert.isBelow(response.status(), 500, String(channel).slice(0, 40))
      assert.notProperty(response.body(), 'shared_secret')
    }
    const badSocket = await client
      .post('/broadcasting/authorize')
      .json({ socket_id: 'not-a-socket', channel_name: CHANNEL })
      .withCsrfToken()
      .loginAs(admin)
    badSocket.assertStatus(400)
    assert.notProperty(badSocket.body(), 'shared_secret')
  })
})

test.group('Encrypted channels | the example app end to end', (group) => {
  const clients = new Clients()
  group.each.teardown(() => clients.closeAll())

  test('broadcast.emit(new AdminNote): pusher-js decrypts with the key of the auth route, the wire has none of it', async ({
    assert,
    cleanup,
  }) => {
    const admin = await AppSession.login('admin@example.com')
    const pusher = await clients.pusher({ authorizer: admin.authorizer() })
    const channel = pusher.subscribe(CHANNEL)
    await once(channel, 'pusher:subscription_succeeded')
    const tap = await wireTap(port(), env.get('PUSHER_APP_KEY'), CHANNEL, officialSdk())
    cleanup(() => tap.client.ws.terminate())

    const received = once(channel, 'AdminNote')
    const broadcast = await broadcastService()
    await broadcast.emit(new AdminNote('rotate the keys on friday'))
    assert.deepEqual(await received, { text: 'rotate the keys on friday' })

    await tap.client.next((frame) => frame.event === 'AdminNote')
    const raw = tap.wire.find((text) => text.includes('"AdminNote"'))!
    assert.notInclude(raw, 'rotate the keys')
    assert.sameMembers(Object.keys(JSON.parse(JSON.parse(raw).data)), ['nonce', 'ciphertext'])
  })

  test("laravel-echo's encryptedPrivate() receives the note decrypted", async ({ assert }) => {
    const admin = await AppSession.login('admin@example.com')
    const echo = await clients.echo(admin.authorizer('/broadcasting/auth'))
    const channel = echo.encryptedPrivate('admin-notes')
    const received = new Promise((resolve) => channel.listen('.AdminNote', resolve))
    await within(new Promise((resolve) => channel.subscribed(resolve)), 'subscribed')

    await (await broadcastService()).emit(new AdminNote('through Echo'))
    assert.deepEqual(await within(received, 'AdminNote'), { text: 'through Echo' })
  })

  test('a basic user cannot subscribe, and sees no note', async ({ assert }) => {
    const basic = await AppSession.login('basic@example.com')
    const pusher = await clients.pusher({ authorizer: basic.authorizer() })
    const channel = pusher.subscribe(CHANNEL)
    const error: any = await once(channel, 'pusher:subscription_error')
    assert.include(error.error, 'status 403')

    const leaked: unknown[] = []
    channel.bind('AdminNote', (data: unknown) => leaked.push(data))
    await (await broadcastService()).emit(new AdminNote('admins only'))
    await sleep(200)
    assert.deepEqual(leaked, [])
  })

  test('POST /admin-notes: admins only', async ({ assert }) => {
    const admin = await AppSession.login('admin@example.com')
    const basic = await AppSession.login('basic@example.com')
    const pusher = await clients.pusher({ authorizer: admin.authorizer() })
    const channel = pusher.subscribe(CHANNEL)
    await once(channel, 'pusher:subscription_succeeded')

    const received = once(channel, 'AdminNote')
    assert.equal((await admin.request('POST', '/admin-notes', { text: ' hello ' })).status, 200)
    assert.deepEqual(await received, { text: 'hello' })
    assert.equal((await basic.request('POST', '/admin-notes', { text: 'x' })).status, 403)
    assert.equal((await admin.request('POST', '/admin-notes', { text: ['x'] })).status, 400)
  })
})
