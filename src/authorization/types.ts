import type { HttpContext } from '@adonisjs/core/http'
import type { PolicyUser } from '../policies/types.ts'
import type { SerializeUser } from '../policies/user_snapshot.ts'

/**
 * The auth routes registered by "broadcast.registerRoutes()"
 */
export interface AuthorizationConfig {
  /**
   * Channel authorization route. Default: "/broadcasting/authorize"
   */
  path?: string

  /**
   * More paths for the same route, e.g. "/broadcasting/auth", laravel-echo's
   * default "authEndpoint"
   */
  aliases?: string[]

  /**
   * User authentication route for "pusher.signin()". Default:
   * "/broadcasting/user-auth"
   */
  userAuthPath?: string

  /**
   * Put the reason of a denial in the 403 body. Default: on outside production
   */
  debug?: boolean

  /**
   * Find the request's user some other way than "ctx.auth"
   */
  resolveUser?: (ctx: HttpContext) => unknown | Promise<unknown>

  /**
   * Extra fields for the user snapshot rules see
   */
  serializeUser?: SerializeUser

  /**
   * Sign-in user data when the policy file has no "user" mapping
   */
  userData?: (
    user: PolicyUser
  ) =>
    | { id: string; info?: Record<string, unknown>; watchlist?: string[] }
    | null
    | Promise<{ id: string; info?: Record<string, unknown>; watchlist?: string[] } | null>
}

/**
 * Auth routes config with its defaults applied
 */
export type ResolvedAuthorizationConfig = AuthorizationConfig &
  Required<Pick<AuthorizationConfig, 'path' | 'aliases' | 'userAuthPath' | 'debug'>>
