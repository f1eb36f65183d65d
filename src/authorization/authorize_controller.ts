import { inject } from '@adonisjs/core'
import type { HttpContext } from '@adonisjs/core/http'
import debug from '../debug.ts'
import { channelType } from '@adonisjs-broadcasting/engine/rules'
import { PolicyService } from '../policies/policy_service.ts'
import { channelInput, socketIdInput } from './auth_input.ts'
import { AuthorizationService } from './authorization_service.ts'
import { E_CHANNEL_FORBIDDEN, E_ENCRYPTION_NOT_CONFIGURED, E_MEMBER_TOO_LARGE } from '../errors.ts'

/**
 * POST /broadcasting/authorize: signs a subscription to a private, encrypted
 * or presence channel when the channel policy allows it. pusher-js and
 * laravel-echo call it when a page subscribes. A refusal is thrown: the
 * errors render their own 400 or 403 body.
 */
@inject()
export default class AuthorizeController {
  constructor(
    protected authorization: AuthorizationService,
    protected policies: PolicyService
  ) {}

  async handle(ctx: HttpContext) {
    const socketId = socketIdInput(ctx)
    const channel = channelInput(ctx)

    const pusher = this.authorization.signer()
    if (channelType(channel) === 'encrypted' && !this.authorization.canEncrypt) {
      throw new E_ENCRYPTION_NOT_CONFIGURED([channel])
    }

    const user = await this.authorization.requestUser(ctx)
    const decision = await this.policies.decide(channel, { user, socketId })

    if (decision.memberTooLarge) {
      /**
       * A presence member over Pusher's limits (1 KB of info, 128-character
       * id) is the app's mistake, not the user's: say so whatever the debug
       * setting
       */
      throw new E_MEMBER_TOO_LARGE([channel, decision.reason])
    }

    if (!decision.allowed) {
      debug('authorize: denied "%s": %s', channel, decision.reason)
      const explain = this.authorization.settings.debug
      throw new E_CHANNEL_FORBIDDEN(channel, explain ? decision.reason : undefined)
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
