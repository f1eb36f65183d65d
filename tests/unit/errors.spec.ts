import { test } from '@japa/runner'
import { ExceptionHandler } from '@adonisjs/core/http'
import { HttpContextFactory } from '@adonisjs/core/factories/http'
import { errors } from '../../index.ts'

/**
 * A request context whose logger records what the exception handler reports
 */
function context(headers: Record<string, string> = {}) {
  const ctx = new HttpContextFactory().create()
  for (const [name, value] of Object.entries(headers)) ctx.request.request.headers[name] = value
  const logged: unknown[][] = []
  ctx.logger = { log: (...args: unknown[]) => logged.push(args) } as any
  return { ctx, logged }
}

/**
 * What the app's exception handler (the starter kit's extends this one) answers
 */
async function answer(error: unknown, headers?: Record<string, string>) {
  const { ctx, logged } = context(headers)
  const handler = new ExceptionHandler()
  await handler.report(error, ctx)
  await handler.handle(error, ctx)
  return { status: ctx.response.getStatus(), body: ctx.response.getBody(), logged }
}

test.group('Errors | the auth routes render their own answer', () => {
  const cases: Array<[string, unknown, number]> = [
    ['E_MISSING_FIELD', new errors.E_MISSING_FIELD(['socket_id']), 400],
    ['E_INVALID_FIELD', new errors.E_INVALID_FIELD(['socket_id']), 400],
    ['E_INVALID_SOCKET_ID', new errors.E_INVALID_SOCKET_ID(['12.ab']), 400],
    ['E_INVALID_CHANNEL_NAME', new errors.ChannelNameInputException(['a b', 'why']), 400],
    ['E_PUBLIC_CHANNEL', new errors.E_PUBLIC_CHANNEL(['releases']), 400],
    ['E_ENCRYPTION_NOT_CONFIGURED', new errors.E_ENCRYPTION_NOT_CONFIGURED(['x']), 400],
    ['E_CHANNEL_FORBIDDEN', new errors.E_CHANNEL_FORBIDDEN('private-x', 'no'), 403],
    ['E_MEMBER_TOO_LARGE', new errors.E_MEMBER_TOO_LARGE(['presence-x', 'too big']), 403],
    ['E_NOT_AUTHENTICATED', new errors.E_NOT_AUTHENTICATED(), 403],
    ['E_USER_MAPPING_FAILED', new errors.E_USER_MAPPING_FAILED('no_such_key', 'failed'), 403],
    ['E_NO_USER_MAPPING', new errors.E_NO_USER_MAPPING(), 403],
    ['E_USER_DATA_TOO_LARGE', new errors.E_USER_DATA_TOO_LARGE([12000, 10240]), 403],
  ]

  for (const [code, error, status] of cases) {
    test(`${code} answers ${status} with {error: {code, message}}`, async ({ assert }) => {
      const { status: answered, body } = await answer(error)
      assert.equal(answered, status)
      assert.deepEqual(body, { error: { code, message: (error as Error).message } })
    })
  }

  test('the answer is JSON whatever the Accept header (pusher-js sends none)', async ({
    assert,
  }) => {
    for (const accept of ['text/html', '*/*', 'application/vnd.api+json']) {
      const { body } = await answer(new errors.E_PUBLIC_CHANNEL(['releases']), { accept })
      assert.equal((body as any).error.code, 'E_PUBLIC_CHANNEL', accept)
    }
  })

  test('messages keep their wording', ({ assert }) => {
    assert.equal(
      new errors.E_CHANNEL_FORBIDDEN('private-x', 'no rule').message,
      'Access to "private-x" denied: no rule'
    )
    assert.equal(
      new errors.E_CHANNEL_FORBIDDEN('private-x').message,
      'Access to "private-x" denied'
    )
    assert.equal(
      new errors.E_INVALID_SOCKET_ID(['abc']).message,
      'Invalid socket id "abc": expected two integers joined by a dot, as in "1234.5678"'
    )
    assert.equal(
      new errors.E_USER_DATA_TOO_LARGE([12176, 10240]).message,
      'Cannot sign in: the user data makes a 12176-byte "pusher:signin" message, over the server\'s 10240-byte limit. Map fewer or shorter fields in the policy\'s "user" mapping'
    )
  })

  test('a denial and a guest sign-in are not logged; the app mapping mistakes are', async ({
    assert,
  }) => {
    assert.lengthOf((await answer(new errors.E_CHANNEL_FORBIDDEN('private-x'))).logged, 0)
    assert.lengthOf((await answer(new errors.E_NOT_AUTHENTICATED())).logged, 0)
    const { logged } = await answer(new errors.E_MEMBER_TOO_LARGE(['presence-x', 'too big']))
    assert.equal(logged[0][0], 'warn')
  })
})

test.group('Errors | codes shared by the app and the auth routes', () => {
  test('a bad channel_name is an E_INVALID_CHANNEL_NAME, answered 400', ({ assert }) => {
    const error = new errors.ChannelNameInputException(['a b', 'why'])
    assert.instanceOf(error, errors.E_INVALID_CHANNEL_NAME)
    assert.equal(error.code, 'E_INVALID_CHANNEL_NAME')
    assert.equal(error.status, 400)
  })

  test("the app's own bad channel name is a 500 left to the app's handler", async ({ assert }) => {
    const error = new errors.E_INVALID_CHANNEL_NAME(['a b', 'why'])
    assert.equal(error.status, 500)
    assert.notProperty(error, 'handle')
    const { status, logged } = await answer(error, { accept: 'application/json' })
    assert.equal(status, 500)
    assert.equal(logged[0][0], 'error')
  })

  test('every package error is an AdonisJS Exception with a code', ({ assert }) => {
    const samples = [
      new errors.E_INVALID_EVENT_NAME(['x', 'y']),
      new errors.E_UNKNOWN_CONNECTION(['x', 'y']),
      new errors.E_BROADCAST_SERVER_NOT_RUNNING(),
      new errors.BroadcastFailedException('x', { events: [], channels: [] }),
      new errors.E_BROADCAST_APP_UNREACHABLE({ host: 'h', port: 1 }, { events: [], channels: [] }),
      new errors.PolicyError({ file: 'a.yaml', line: 1, column: 2 }, 'bad'),
      new errors.E_INVALID_SOCKET_ID(['x']),
    ]
    for (const error of samples) {
      assert.match(String(error.code), /^E_[A-Z_]+$/)
      assert.isNumber(error.status)
    }
    assert.equal(samples[5].message, 'a.yaml:1:2: bad')
    assert.strictEqual(errors.E_INVALID_POLICY, errors.PolicyError)
  })
})
