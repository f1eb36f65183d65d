import { inject } from '@adonisjs/core'
import type { HttpContext } from '@adonisjs/core/http'
import { PolicyService } from '../policies/policy_service.ts'
import { socketIdInput } from './auth_input.ts'
import { AuthorizationService } from './authorization_service.ts'
import { signInMessageBytes } from './sign_in_size.ts'
import { E_NO_USER_MAPPING, E_NOT_AUTHENTICATED, E_USER_DATA_TOO_LARGE } from '../errors.ts'

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
    const socketId = socketIdInput(ctx)

    const user = await this.authorization.requestUser(ctx)
    if (!user) {
      throw new E_NOT_AUTHENTICATED()
    }

    /**
     * A failing "user:" mapping throws E_USER_MAPPING_FAILED (403). Any other
     * error (the policies do not load, "authorization.userData" throws) is
     * the app's: a 500 its exception handler reports, its message never
     * echoed to the browser
     */
    const fallback = this.authorization.settings.userData
    const userData =
      (await this.policies.userData(user)) ?? (fallback ? await fallback(user) : null)

    if (!userData || typeof userData.id !== 'string' || userData.id === '') {
      throw new E_NO_USER_MAPPING()
    }

    const pusher = this.authorization.signer()
    const signed = pusher.authenticateUser(socketId, {
      id: userData.id,
      ...(userData.info ? { user_info: userData.info } : {}),
      ...(userData.watchlist ? { watchlist: userData.watchlist } : {}),
    })

    /**
     * A sign-in the server would refuse as too large fails silently in the
     * browser: say so here, whatever the debug setting, as for presence
     * members (the mapping is the app's to fix, not the user's)
     */
    const limit = this.authorization.maxClientMessageBytes
    const size = signInMessageBytes(signed)
    if (size > limit) {
      throw new E_USER_DATA_TOO_LARGE([size, limit])
    }
    return signed
  }
}
