import { test } from '@japa/runner'
import User from '#models/user'
import { AppSession } from '../../helpers/app_session.ts'
import { Clients } from '../../helpers/server_clients.ts'

/**
 * A user whose sign-in data (the policy maps "fullName") has the given name
 */
async function userNamed(fullName: string, cleanup: (fn: () => Promise<void>) => void) {
  const user = await User.create({
    email: `big-${Math.random().toString(36).slice(2)}@example.com`,
    fullName,
    role: 'basic',
    password: 'password',
  })
  cleanup(() => user.delete())
  return user
}

test.group('User authentication | sign-in data the server would refuse', (group) => {
  const clients = new Clients()
  group.each.teardown(() => clients.closeAll())

  test('12 KB of user data is refused with E_USER_DATA_TOO_LARGE instead of signed', async ({
    client,
    assert,
    cleanup,
  }) => {
    const user = await userNamed('x'.repeat(12_000), cleanup)
    const response = await client
      .post('/broadcasting/user-auth')
      .form({ socket_id: '1234.5678' })
      .withCsrfToken()
      .loginAs(user)

    response.assertStatus(403)
    assert.equal(response.body().error.code, 'E_USER_DATA_TOO_LARGE')
    assert.match(response.body().error.message, /over the server's 10240-byte limit/)
    assert.notProperty(response.body(), 'auth')
  })

  test('the limit counts the double encoding of user_data inside the message', async ({
    client,
    assert,
    cleanup,
  }) => {
    // 6 KB of user_data, but every quote is escaped twice in the message
    const name = '"'.repeat(3000)
    assert.isBelow(JSON.stringify({ id: '1', user_info: { name } }).length, 10_240)
    const user = await userNamed(name, cleanup)
    const response = await client
      .post('/broadcasting/user-auth')
      .form({ socket_id: '1234.5678' })
      .withCsrfToken()
      .loginAs(user)
    response.assertStatus(403)
    assert.equal(response.body().error.code, 'E_USER_DATA_TOO_LARGE')
  })

  test('large user data that fits is signed, and the server accepts the sign-in', async ({
    assert,
    cleanup,
  }) => {
    const user = await userNamed('y'.repeat(9_000), cleanup)
    const session = await AppSession.login(user.email)
    const socket = await clients.raw()
    const response = await session.request('POST', '/broadcasting/user-auth', undefined, {
      socket_id: socket.socketId,
    })
    assert.equal(response.status, 200)

    socket.send({ event: 'pusher:signin', data: await response.json() })
    const answer = await socket.next(
      (frame) => frame.event === 'pusher:signin_success' || frame.event === 'pusher:error'
    )
    assert.equal(answer.event, 'pusher:signin_success')
  })
})
