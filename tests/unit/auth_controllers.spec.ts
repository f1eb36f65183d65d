import { test } from '@japa/runner'
import Pusher from 'pusher'
import type { HttpContext } from '@adonisjs/core/http'
import { HttpContextFactory } from '@adonisjs/core/factories/http'
import AuthorizeController from '../../src/authorization/authorize_controller.ts'
import UserAuthController from '../../src/authorization/user_auth_controller.ts'
import { AuthorizationService } from '../../src/authorization/authorization_service.ts'
import { PolicyService } from '../../src/policies/policy_service.ts'
import { NullDriver } from '../../src/drivers/null.ts'
import { LocalDriver } from '../../src/drivers/local.ts'
import type { BroadcastDriver } from '../../src/drivers/types.ts'
import { recordingLogger } from '../helpers/broadcast.ts'

const CREDENTIALS = { appId: '1', key: 'app-key', secret: 'app-secret' }
const SOCKET_ID = '1234.5678'
const POLICY = `channels:
  private-admins:
    allow: user.role == 'admin'
  private-encrypted-notes:
    allow: user.role == 'admin'
  presence-room.<id:int>:
    allow: user != null
    member: { id: user.id, info: { name: user.name } }
user:
  id: user.id
`

/**
 * The controllers' dependencies as the container builds them, without an
 * app: the request's user comes from "resolveUser"
 */
async function dependencies(
  fs: { basePath: string; create(path: string, text: string): any },
  driver: BroadcastDriver = Object.assign(new NullDriver(), { credentials: CREDENTIALS })
) {
  await fs.create('policies/channels.yaml', POLICY)
  const policies = new PolicyService(
    { path: `${fs.basePath}/policies`, watch: false, predicates: {} },
    recordingLogger().logger
  )
  const authorization = new AuthorizationService(
    {
      path: '/broadcasting/authorize',
      aliases: [],
      userAuthPath: '/broadcasting/user-auth',
      debug: true,
      resolveUser: (ctx) =>
        ctx.request.header('x-test-user') && JSON.parse(ctx.request.header('x-test-user')!),
    },
    { name: 'local', driver }
  )
  return { policies, authorization }
}

function request(body: Record<string, unknown>, user?: Record<string, unknown>) {
  const ctx = new HttpContextFactory().create()
  ctx.request.updateBody(body)
  if (user) ctx.request.request.headers['x-test-user'] = JSON.stringify(user)
  return ctx
}

const signer = new Pusher({ ...CREDENTIALS, cluster: 'mt1' })

/**
 * Runs a controller as the HTTP server would: an exception that renders
 * itself ("handle(error, ctx)") answers the request
 */
async function run(controller: { handle(ctx: HttpContext): Promise<unknown> }, ctx: HttpContext) {
  try {
    return await controller.handle(ctx)
  } catch (error) {
    if (typeof (error as any)?.handle !== 'function') throw error
    await (error as any).handle(error, ctx)
  }
}

test.group('AuthorizeController | constructed with its dependencies', () => {
  test('an allowed channel is signed', async ({ assert, fs }) => {
    const { authorization, policies } = await dependencies(fs)
    const controller = new AuthorizeController(authorization, policies)
    const ctx = request({ socket_id: SOCKET_ID, channel_name: 'private-admins' }, { role: 'admin' })

    const answer = await run(controller, ctx)
    assert.deepEqual(answer, signer.authorizeChannel(SOCKET_ID, 'private-admins'))
  })

  test('a presence member comes from the policy mapping', async ({ assert, fs }) => {
    const { authorization, policies } = await dependencies(fs)
    const controller = new AuthorizeController(authorization, policies)
    const user = { id: 7, name: 'Ada', password: 'hash' }
    const ctx = request({ socket_id: SOCKET_ID, channel_name: 'presence-room.1' }, user)

    const answer: any = await run(controller, ctx)
    assert.deepEqual(JSON.parse(answer.channel_data), { user_id: '7', user_info: { name: 'Ada' } })
  })

  test('a denied channel gets 403 with the reason', async ({ assert, fs }) => {
    const { authorization, policies } = await dependencies(fs)
    const controller = new AuthorizeController(authorization, policies)
    const ctx = request({ socket_id: SOCKET_ID, channel_name: 'private-admins' }, { role: 'basic' })

    await run(controller, ctx)
    assert.equal(ctx.response.getStatus(), 403)
    const body = ctx.response.getBody()
    assert.equal(body.error.code, 'E_CHANNEL_FORBIDDEN')
    assert.include(body.error.message, "condition `user.role == 'admin'` is false")
  })

  test('a guest is denied; bad input is a 400', async ({ assert, fs }) => {
    const { authorization, policies } = await dependencies(fs)
    const controller = new AuthorizeController(authorization, policies)

    const guest = request({ socket_id: SOCKET_ID, channel_name: 'private-admins' })
    await run(controller, guest)
    assert.equal(guest.response.getStatus(), 403)

    const bad = request({ socket_id: 'x', channel_name: 'private-admins' })
    await run(controller, bad)
    assert.equal(bad.response.getStatus(), 400)
    assert.equal(bad.response.getBody().error.code, 'E_INVALID_SOCKET_ID')
  })
})

test.group('UserAuthController | constructed with its dependencies', () => {
  test('signs in with the policy user mapping; a guest gets 403', async ({ assert, fs }) => {
    const { authorization, policies } = await dependencies(fs)
    const controller = new UserAuthController(authorization, policies)

    const ctx = request({ socket_id: SOCKET_ID }, { id: 7, name: 'Ada' })
    const answer = await run(controller, ctx)
    assert.deepEqual(answer, signer.authenticateUser(SOCKET_ID, { id: '7' }))

    const guest = request({ socket_id: SOCKET_ID })
    await run(controller, guest)
    assert.equal(guest.response.getStatus(), 403)
    assert.equal(guest.response.getBody().error.code, 'E_NOT_AUTHENTICATED')
  })
})

test.group('AuthorizeController | encrypted channels on the local driver', () => {
  const MASTER_KEY = Buffer.alloc(32, 7).toString('base64')

  test("an allowed channel gets the SDK's shared_secret, a denied one nothing", async ({
    assert,
    fs,
    cleanup,
  }) => {
    const driver = new LocalDriver({ ...CREDENTIALS, encryptionMasterKeyBase64: MASTER_KEY })
    cleanup(() => driver.close())
    const { authorization, policies } = await dependencies(fs, driver)
    const controller = new AuthorizeController(authorization, policies)
    const channel = 'private-encrypted-notes'

    const admin = request({ socket_id: SOCKET_ID, channel_name: channel }, { role: 'admin' })
    const answer = await run(controller, admin)
    const sdk = new Pusher({
      ...CREDENTIALS,
      cluster: 'mt1',
      encryptionMasterKeyBase64: MASTER_KEY,
    })
    assert.deepEqual(answer, sdk.authorizeChannel(SOCKET_ID, channel))
    assert.isString((answer as any).shared_secret)

    const basic = request({ socket_id: SOCKET_ID, channel_name: channel }, { role: 'basic' })
    await run(controller, basic)
    assert.equal(basic.response.getStatus(), 403)
    assert.notProperty(basic.response.getBody(), 'shared_secret')
  })

  test('without a master key: 400 E_ENCRYPTION_NOT_CONFIGURED, nothing signed', async ({
    assert,
    fs,
    cleanup,
  }) => {
    const driver = new LocalDriver(CREDENTIALS)
    cleanup(() => driver.close())
    const { authorization, policies } = await dependencies(fs, driver)
    const controller = new AuthorizeController(authorization, policies)
    const ctx = request(
      { socket_id: SOCKET_ID, channel_name: 'private-encrypted-notes' },
      { role: 'admin' }
    )

    await run(controller, ctx)
    assert.equal(ctx.response.getStatus(), 400)
    assert.equal(ctx.response.getBody().error.code, 'E_ENCRYPTION_NOT_CONFIGURED')
    assert.notProperty(ctx.response.getBody(), 'auth')
  })
})
