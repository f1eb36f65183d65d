import type { HttpContext } from '@adonisjs/core/http'
import Pusher from 'pusher'
import { RuntimeException } from '@adonisjs/core/exceptions'
import type { BroadcastService } from '../extended_types.ts'
import type { BroadcastDriver } from '../types.ts'
import { snapshotUser } from '../policies/user_snapshot.ts'

type AuthCapable = { auth?: { check(): Promise<boolean>; user?: unknown } }

/**
 * The authenticated user of the request, or null for a guest. Works with
 * or without "middleware.auth()" on the route: without it, the session is
 * checked silently.
 */
export async function requestUser(ctx: HttpContext, broadcast: BroadcastService) {
  const resolveUser = broadcast.config.authorization.resolveUser
  if (resolveUser) {
    return snapshotUser(await resolveUser(ctx), broadcast.config.authorization.serializeUser)
  }

  const auth = (ctx as HttpContext & AuthCapable).auth
  if (!auth) {
    throw new RuntimeException(
      'The broadcasting auth routes need "ctx.auth": register "@adonisjs/auth/initialize_auth_middleware" in start/kernel.ts, or set "authorization.resolveUser" in config/broadcast.ts'
    )
  }
  if (auth.user === undefined) {
    await auth.check()
  }
  return snapshotUser(auth.user, broadcast.config.authorization.serializeUser)
}

const signers = new WeakMap<object, Pusher>()

/**
 * A "pusher" SDK instance holding the default connection's credentials,
 * used only to sign
 */
export async function signer(broadcast: BroadcastService): Promise<Pusher> {
  const driver: BroadcastDriver = broadcast.driver()
  const credentials = driver.credentials
  if (!credentials) {
    throw new RuntimeException(
      `The default broadcast connection "${broadcast.config.default}" cannot sign channel authorizations: use the "local" or "pusher" driver`
    )
  }
  let instance = signers.get(credentials)
  if (!instance) {
    instance = new Pusher({
      appId: credentials.appId,
      key: credentials.key,
      secret: credentials.secret,
      cluster: 'mt1',
      encryptionMasterKeyBase64: credentials.encryptionMasterKeyBase64 || undefined,
    })
    signers.set(credentials, instance)
  }
  return instance
}

/**
 * Whether the default connection can sign "private-encrypted-" channels
 */
export async function canEncrypt(broadcast: BroadcastService): Promise<boolean> {
  const driver: BroadcastDriver = broadcast.driver()
  return Boolean(driver.credentials?.encryptionMasterKeyBase64)
}

/**
 * The error body the auth routes answer with: `{error: {code, message}}`
 */
export function errorBody(code: string, message: string) {
  return { error: { code, message } }
}
