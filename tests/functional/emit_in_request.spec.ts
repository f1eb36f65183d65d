import { test } from '@japa/runner'
import User from '#models/user'
import { PusherApiServer } from '../helpers/pusher_api_server.ts'

test.group('Emitting inside a request', (group) => {
  let server: PusherApiServer
  group.each.setup(async () => {
    server = await new PusherApiServer().start()
    return () => server.close()
  })

  test('toOthers() excludes the socket in the X-Socket-ID header', async ({ client, assert }) => {
    const response = await client
      .post('/__tests/emit')
      .json({ port: server.port, channels: ['releases'], toOthers: true })
      .header('X-Socket-ID', '555.777')
      .withCsrfToken()
    response.assertStatus(200)
    assert.equal(server.requests[0].body.socket_id, '555.777')
  })

  test('toOthers() without the header excludes nobody', async ({ client, assert }) => {
    const response = await client
      .post('/__tests/emit')
      .json({ port: server.port, channels: ['releases'], toOthers: true })
      .withCsrfToken()
    response.assertStatus(200)
    assert.notProperty(server.requests[0].body, 'socket_id')
  })

  test('a malformed X-Socket-ID header is a 400, and nothing is sent', async ({
    client,
    assert,
  }) => {
    const response = await client
      .post('/__tests/emit')
      .json({ port: server.port, channels: ['releases'], toOthers: true })
      .header('X-Socket-ID', '555.777:private-admins')
      .withCsrfToken()
    response.assertStatus(400)
    assert.lengthOf(server.requests, 0)
  })

  test("a malformed X-Socket-ID header answers the auth routes' E_INVALID_SOCKET_ID body", async ({
    client,
    assert,
  }) => {
    const response = await client
      .post('/__tests/emit')
      .json({ port: server.port, channels: ['releases'], toOthers: true })
      .header('X-Socket-ID', 'abc')
      .withCsrfToken()
    response.assertStatus(400)
    assert.deepEqual(response.body().error, {
      code: 'E_INVALID_SOCKET_ID',
      message: 'Invalid socket id "abc": expected two integers joined by a dot, as in "1234.5678"',
    })
  })

  test('requireAuthenticatedSender drops private channels for a guest sender', async ({
    client,
    assert,
  }) => {
    const response = await client
      .post('/__tests/emit')
      .json({
        port: server.port,
        channels: ['releases', 'private-admins'],
        requireAuthenticatedSender: true,
      })
      .withCsrfToken()
    response.assertStatus(200)
    assert.lengthOf(server.requests, 1)
    assert.deepEqual(server.requests[0].body.channels, ['releases'])
  })

  test('requireAuthenticatedSender sends private channels for a signed-in sender', async ({
    client,
    assert,
  }) => {
    const admin = await User.findByOrFail('email', 'admin@example.com')
    const response = await client
      .post('/__tests/emit')
      .json({
        port: server.port,
        channels: ['releases', 'private-admins'],
        requireAuthenticatedSender: true,
      })
      .withCsrfToken()
      .loginAs(admin)
    response.assertStatus(200)
    assert.deepEqual(server.requests[0].body.channels, ['releases', 'private-admins'])
  })

  test('without the option, a guest sender reaches private channels', async ({
    client,
    assert,
  }) => {
    await client
      .post('/__tests/emit')
      .json({ port: server.port, channels: ['private-admins'] })
      .withCsrfToken()
    assert.deepEqual(server.requests[0].body.channels, ['private-admins'])
  })
})
