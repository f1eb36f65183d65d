import type { HttpContext } from '@adonisjs/core/http'
import { RuntimeException } from '@adonisjs/core/exceptions'
import { snapshotUser } from '../policies/user_snapshot.ts'
import type { AuthorizationConfig } from './types.ts'

type AuthCapable = { auth?: { check(): Promise<boolean>; user?: unknown } }

/**
 * The authenticated user of the request as the rules see it (a snapshot),
 * or null for a guest. Works with or without "middleware.auth()" on the
 * route: without it, the session is checked silently. Reads "ctx.auth"
 * structurally, so the package does not depend on @adonisjs/auth.
 */
export async function requestUser(
  ctx: HttpContext,
  settings: Pick<AuthorizationConfig, 'resolveUser' | 'serializeUser'>
) {
  if (settings.resolveUser) {
    return snapshotUser(await settings.resolveUser(ctx), settings.serializeUser)
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
  return snapshotUser(auth.user, settings.serializeUser)
}
