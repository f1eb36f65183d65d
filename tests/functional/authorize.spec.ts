import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import { createHmac } from 'node:crypto'
import User from '#models/user'
import env from '#start/env'

const SOCKET_ID = '1234.5678'
const KEY = env.get('PUSHER_APP_KEY')
const SECRET = env.get('PUSHER_APP_SECRET').release()

function sign(value: string) {
  return `${KEY}:${createHmac('sha256', SECRET).update(value).digest('hex')}`
}

/**
 * Posts to the auth route the way pusher-js does: form-encoded, with the
 * CSRF header, as the given user or a guest
 */
function authorize(client: ApiClient, channel: string, user?: User) {
  const request = client
    .post('/broadcasting/authorize')
    .form({ socket_id: SOCKET_ID, channel_name: channel })
    .withCsrfToken()
  return user ? request.loginAs(user) : request
}

async function users() {
  const admin = await User.findByOrFail('email', 'admin@example.com')
  const basic = await User.findByOrFail('email', 'basic@example.com')
  return { admin, basic }
}

test.group('Channel authorization | policies over HTTP', () => {
  test('an admin is signed for private-admins, posted the way pusher-js does', async ({
    client,
    assert,
  }) => {
    const { admin } = await users()
    const response = await authorize(client, 'private-admins', admin)

    response.assertStatus(200)
    assert.deepEqual(response.body(), { auth: sign(`${SOCKET_ID}:private-admins`) })
  })

  test('a basic user is denied private-admins with a 403 naming the rule', async ({
    client,
    assert,
  }) => {
    const { basic } = await users()
    const response = await authorize(client, 'private-admins', basic)

    response.assertStatus(403)
    assert.equal(response.body().error.code, 'E_CHANNEL_FORBIDDEN')
    assert.include(response.body().error.message, 'private-admins')
    assert.notProperty(response.body(), 'auth')
  })

  test('the laravel-echo alias accepts JSON with the CSRF header', async ({ client, assert }) => {
    const { admin } = await users()
    const response = await client
      .post('/broadcasting/auth')
      .json({ socket_id: SOCKET_ID, channel_name: 'private-admins' })
      .header('X-Requested-With', 'XMLHttpRequest')
      .withCsrfToken()
      .loginAs(admin)

    response.assertStatus(200)
    assert.equal(response.body().auth, sign(`${SOCKET_ID}:private-admins`))
  })

  test('user {id} gets private-{id} and nothing that only looks like it', async ({
    client,
    assert,
  }) => {
    const { basic, admin } = await users()
    const own = `private-${basic.id}`
    const ok = await authorize(client, own, basic)
    ok.assertStatus(200)
    assert.equal(ok.body().auth, sign(`${SOCKET_ID}:${own}`))

    for (const channel of [
      `private-${admin.id}`,
      `private-0${basic.id}`,
      `private-${basic.id}.x`,
      `private-${basic.id}-x`,
    ]) {
      const denied = await authorize(client, channel, basic)
      assert.equal(denied.status(), 403, `${channel} should be denied`)
    }
  })

  test('a guest is denied every private and presence channel', async ({ client, assert }) => {
    for (const channel of ['private-admins', 'private-1', 'presence-chat.1', 'private-x']) {
      const response = await authorize(client, channel)
      assert.equal(response.status(), 403, `${channel} should be denied to a guest`)
    }
  })

  test('presence returns channel_data with a string user_id and only mapped fields', async ({
    client,
    assert,
  }) => {
    const { basic } = await users()
    const response = await authorize(client, 'presence-chat.1', basic)

    response.assertStatus(200)
    const { auth, channel_data: channelData } = response.body()
    assert.equal(auth, sign(`${SOCKET_ID}:presence-chat.1:${channelData}`))

    const data = JSON.parse(channelData)
    assert.strictEqual(data.user_id, String(basic.id))
    assert.deepEqual(data.user_info, { name: basic.fullName, role: 'basic' })
    assert.notInclude(channelData, basic.password)
    assert.notInclude(channelData, 'password')
    assert.notInclude(channelData, basic.email)
  })

  test('a presence member over 1 KB is refused with a clear 403', async ({ client, assert }) => {
    const user = await User.create({
      email: 'long-name@example.com',
      fullName: 'x'.repeat(1100),
      role: 'basic',
      password: 'password',
    })
    try {
      const response = await authorize(client, 'presence-chat.1', user)
      response.assertStatus(403)
      assert.equal(response.body().error.code, 'E_MEMBER_TOO_LARGE')
      assert.match(response.body().error.message, /member\.info is \d+ bytes of JSON/)
    } finally {
      await user.delete()
    }
  })

  test('presence-chat.01 is not a canonical room id and is denied', async ({ client }) => {
    const { basic } = await users()
    const response = await authorize(client, 'presence-chat.01', basic)
    response.assertStatus(403)
  })
})

test.group('Channel authorization | malformed input', () => {
  const cases: Array<[string, Record<string, string>, string]> = [
    ['missing socket_id', { channel_name: 'private-admins' }, 'E_MISSING_FIELD'],
    ['missing channel_name', { socket_id: SOCKET_ID }, 'E_MISSING_FIELD'],
    [
      'bad socket id',
      { socket_id: '12.ab', channel_name: 'private-admins' },
      'E_INVALID_SOCKET_ID',
    ],
    [
      'socket id with a channel',
      { socket_id: '1.2:private-x', channel_name: 'private-admins' },
      'E_INVALID_SOCKET_ID',
    ],
    [
      'bad channel name',
      { socket_id: SOCKET_ID, channel_name: 'private-a b' },
      'E_INVALID_CHANNEL_NAME',
    ],
    [
      'long channel name',
      { socket_id: SOCKET_ID, channel_name: `private-${'a'.repeat(200)}` },
      'E_INVALID_CHANNEL_NAME',
    ],
    ['public channel', { socket_id: SOCKET_ID, channel_name: 'releases' }, 'E_PUBLIC_CHANNEL'],
  ]

  for (const [name, body, code] of cases) {
    test(`400 for ${name}`, async ({ client, assert }) => {
      const { admin } = await users()
      const response = await client
        .post('/broadcasting/authorize')
        .form(body)
        .withCsrfToken()
        .loginAs(admin)
      response.assertStatus(400)
      assert.equal(response.body().error.code, code)
      assert.isString(response.body().error.message)
    })
  }

  test('errors are thrown and rendered as JSON by the app handler, whatever Accept says', async ({
    client,
    assert,
  }) => {
    const { admin } = await users()
    const response = await client
      .post('/broadcasting/authorize')
      .form({ socket_id: SOCKET_ID, channel_name: 'releases' })
      .header('Accept', 'text/html')
      .withCsrfToken()
      .loginAs(admin)
    response.assertStatus(400)
    assert.deepEqual(response.body(), {
      error: {
        code: 'E_PUBLIC_CHANNEL',
        message:
          '"releases" is a public channel: it needs no authorization. Only "private-" and "presence-" channels are authorized',
      },
    })
  })

  test('400 for a JSON body with the wrong types', async ({ client, assert }) => {
    const { admin } = await users()
    const response = await client
      .post('/broadcasting/authorize')
      .json({ socket_id: 1234.5678, channel_name: ['private-admins'] })
      .withCsrfToken()
      .loginAs(admin)
    response.assertStatus(400)
    assert.equal(response.body().error.code, 'E_INVALID_FIELD')
  })
})

test.group('Channel authorization | CSRF', () => {
  test('a request without the CSRF token is rejected and signs nothing', async ({
    client,
    assert,
  }) => {
    const { admin } = await users()
    const response = await client
      .post('/broadcasting/authorize')
      .form({ socket_id: SOCKET_ID, channel_name: 'private-admins' })
      .loginAs(admin)
      .redirects(0)

    assert.notEqual(response.status(), 200)
    assert.notProperty(response.body() ?? {}, 'auth')
  })

  test('a wrong token in the X-CSRF-TOKEN header is rejected', async ({ client, assert }) => {
    const { admin } = await users()
    const response = await client
      .post('/broadcasting/authorize')
      .form({ socket_id: SOCKET_ID, channel_name: 'private-admins' })
      .header('X-CSRF-TOKEN', 'forged')
      .loginAs(admin)
      .redirects(0)
    assert.notEqual(response.status(), 200)
  })
})

test.group('User authentication | pusher:signin', () => {
  test('a signed-in user gets user_data from the policy mapping', async ({ client, assert }) => {
    const { admin } = await users()
    const response = await client
      .post('/broadcasting/user-auth')
      .form({ socket_id: SOCKET_ID })
      .withCsrfToken()
      .loginAs(admin)

    response.assertStatus(200)
    const { auth, user_data: userData } = response.body()
    assert.equal(auth, sign(`${SOCKET_ID}::user::${userData}`))
    // The watchlist: the admin's team ("serializeUser"), their own id left out by the rule
    const team = await admin.teamIds()
    assert.include(team, admin.id)
    assert.deepEqual(JSON.parse(userData), {
      id: String(admin.id),
      user_info: { name: admin.fullName },
      watchlist: team.filter((id) => id !== admin.id).map(String),
    })
  })

  test('a guest cannot sign in', async ({ client, assert }) => {
    const response = await client
      .post('/broadcasting/user-auth')
      .form({ socket_id: SOCKET_ID })
      .withCsrfToken()
    response.assertStatus(403)
    assert.equal(response.body().error.code, 'E_NOT_AUTHENTICATED')
  })
})
