import { inject } from '@adonisjs/core'
import type { HttpContext } from '@adonisjs/core/http'
import debug from '../debug.ts'
import { channelType } from '../channel_name.ts'
import { PolicyService } from '../policies/policy_service.ts'
import { AuthInputError, channelInput, socketIdInput } from './auth_input.ts'
import { AuthorizationService } from './authorization_service.ts'
import { errorBody } from './error_body.ts'

/**
 * POST /broadcasting/authorize: signs a subscription to a private, encrypted
 * or presence channel when the channel policy allows it. pusher-js and
 * laravel-echo call it when a page subscribes.
 */
@inject()
export default class AuthorizeController {
  constructor(
    protected authorization: AuthorizationService,
    protected policies: PolicyService
  ) {}

  async handle(ctx: HttpContext) {
    let socketId: string
    let channel: string
    try {
      socketId = socketIdInput(ctx)
      channel = channelInput(ctx)
    } catch (error) {
      if (error instanceof AuthInputError) {
        return ctx.response.badRequest(errorBody(error.code, error.message))
      }
      throw error
    }

    const pusher = this.authorization.signer()
    if (channelType(channel) === 'encrypted' && !this.authorization.canEncrypt) {
      return ctx.response.badRequest(
        errorBody(
          'E_ENCRYPTION_NOT_CONFIGURED',
          `"${channel}" is an encrypted channel, but the default connection has no "encryptionMasterKeyBase64"`
        )
      )
    }

    const user = await this.authorization.requestUser(ctx)
    const decision = await this.policies.decide(channel, { user, socketId })

    if (decision.memberTooLarge) {
      /**
       * A presence member over Pusher's limits (1 KB of info, 128-character
       * id) is the app's mistake, not the user's: say so whatever the debug
       * setting
       */
      return ctx.response
        .status(403)
        .send(errorBody('E_MEMBER_TOO_LARGE', `Cannot join "${channel}": ${decision.reason}`))
    }

    if (!decision.allowed) {
      debug('authorize: denied "%s": %s', channel, decision.reason)
      const explain = this.authorization.settings.debug
      return ctx.response
        .status(403)
        .send(
          errorBody(
            'E_CHANNEL_FORBIDDEN',
            explain
              ? `Access to "${channel}" denied: ${decision.reason}`
              : `Access to "${channel}" denied`
          )
        )
    }

    debug('authorize: allowed "%s" by "%s"', channel, decision.pattern)
    if (channelType(channel) === 'presence') {
      return pusher.authorizeChannel(socketId, channel, {
        user_id: decision.member!.id,
        user_info: decision.member!.info,
      })
    }
    return pusher.authorizeChannel(socketId, channel)
  }
}
