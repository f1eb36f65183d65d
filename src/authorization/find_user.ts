import { HttpContextFactory } from '@adonisjs/core/factories/http'
import type { ApplicationService } from '@adonisjs/core/types'
import { RuntimeException } from '@adonisjs/core/exceptions'

type Guard = { check(): Promise<boolean>; user?: unknown; sessionKeyName?: string }

/**
 * Loads a user by id through the app's auth user provider, for
 * "broadcast:check --user-id", so whatever provider the default guard uses
 * (Lucid model, custom) finds the user.
 *
 * @adonisjs/auth 10 has no supported way to do this outside a request: a
 * guard keeps its user provider private ("#userProvider"), the guard
 * factories in config/auth.ts close over it, and the Authenticator API
 * ("check", "authenticate", "authenticateUsing", "use(guard).check") only
 * reads the user a request carries. The session guard's "check()" reads the
 * id from "session.get(sessionKeyName)" and calls "findById", so a request
 * whose session holds that id is the narrowest way to reach the provider.
 * Only session guards work this way; others get a clear error.
 */
export async function findUserById(app: ApplicationService, id: string): Promise<unknown> {
  const auth = (await app.container.make('auth.manager' as any)) as {
    createAuthenticator(ctx: unknown): { use(guard?: string): Guard }
  }
  const ctx = new HttpContextFactory().create()
  const session = new Map<string, unknown>()
  Object.assign(ctx, {
    session: {
      get: (key: string) => session.get(key),
      put: (key: string, value: unknown) => session.set(key, value),
      forget: (key: string) => session.delete(key),
      regenerate: () => {},
    },
  })

  const guard = auth.createAuthenticator(ctx).use()
  if (!guard.sessionKeyName) {
    throw new RuntimeException(
      'The default auth guard is not a session guard: pass --user with a JSON snapshot instead'
    )
  }
  session.set(guard.sessionKeyName, /^\d+$/.test(id) ? Number(id) : id)
  return (await guard.check()) ? guard.user : null
}
