import { inject } from '@adonisjs/core'
import type { HttpContext } from '@adonisjs/core/http'
import debug from '../debug.ts'
import { PolicyService } from '../policies/policy_service.ts'
import { AuthInputError, socketIdInput } from './auth_input.ts'
import { AuthorizationService } from './authorization_service.ts'
import { errorBody } from './error_body.ts'
import { signInMessageBytes } from './sign_in_size.ts'

/**
 * POST /broadcasting/user-auth: Pusher user authentication, answering
 * "pusher.signin()". The user data comes from the policy file's "user"
 * mapping, or from "authorization.userData" in the config.
 */
@inject()
export default class UserAuthController {
  constructor(
    protected authorization: AuthorizationService,
    protected policies: PolicyService
  ) {}

  async handle(ctx: HttpContext) {
    let socketId: string
    try {
      socketId = socketIdInput(ctx)
    } catch (error) {
      if (error instanceof AuthInputError) {
        return ctx.response.badRequest(errorBody(error.code, error.message))
      }
      throw error
    }

    const user = await this.authorization.requestUser(ctx)
    if (!user) {
      return ctx.response
        .status(403)
        .send(errorBody('E_NOT_AUTHENTICATED', 'Sign-in needs an authenticated user'))
    }

    let userData: { id: string; info?: Record<string, unknown> } | null
    try {
      const fallback = this.authorization.settings.userData
      userData = (await this.policies.userData(user)) ?? (fallback ? await fallback(user) : null)
    } catch (error) {
      debug('user-auth: user mapping failed: %s', (error as Error).message)
      return ctx.response
        .status(403)
        .send(errorBody('E_USER_MAPPING_FAILED', (error as Error).message))
    }

    if (!userData || typeof userData.id !== 'string' || userData.id === '') {
      return ctx.response
        .status(403)
        .send(
          errorBody(
            'E_NO_USER_MAPPING',
            'No user data for sign-in: add a "user" mapping with an "id" to the policy file'
          )
        )
    }

    const pusher = this.authorization.signer()
    const signed = pusher.authenticateUser(socketId, {
      id: userData.id,
      ...(userData.info ? { user_info: userData.info } : {}),
    })

    /**
     * A sign-in the server would refuse as too large fails silently in the
     * browser: say so here, whatever the debug setting, as for presence
     * members (the mapping is the app's to fix, not the user's)
     */
    const limit = this.authorization.maxClientMessageBytes
    const size = signInMessageBytes(signed)
    if (size > limit) {
      return ctx.response
        .status(403)
        .send(
          errorBody(
            'E_USER_DATA_TOO_LARGE',
            `Cannot sign in: the user data makes a ${size}-byte "pusher:signin" message, over the server's ${limit}-byte limit. Map fewer or shorter fields in the policy's "user" mapping`
          )
        )
    }
    return signed
  }
}
