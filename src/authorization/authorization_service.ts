import Pusher from 'pusher'
import type { HttpContext } from '@adonisjs/core/http'
import { RuntimeException } from '@adonisjs/core/exceptions'
import { requestUser } from './request_user.ts'
import { PUSHER_MAX_CLIENT_MESSAGE_BYTES } from './sign_in_size.ts'
import type { BroadcastDriver } from '../drivers/types.ts'
import type { ResolvedAuthorizationConfig } from './types.ts'

/**
 * What the auth routes need besides the policies: their settings, the
 * request's user, and the default connection's credentials to sign with.
 * A container singleton, injected into the controllers.
 */
export class AuthorizationService {
  #signer?: Pusher

  constructor(
    readonly settings: ResolvedAuthorizationConfig,
    protected connection: { name: string; driver: BroadcastDriver }
  ) {}

  /**
   * The request's user as the rules see it, or null for a guest
   */
  requestUser(ctx: HttpContext) {
    return requestUser(ctx, this.settings)
  }

  /**
   * A "pusher" SDK instance holding the default connection's credentials,
   * used only to sign
   */
  signer(): Pusher {
    const credentials = this.connection.driver.credentials
    if (!credentials) {
      throw new RuntimeException(
        `The default broadcast connection "${this.connection.name}" cannot sign channel authorizations: use the "local" or "pusher" driver`
      )
    }
    this.#signer ??= new Pusher({
      appId: credentials.appId,
      key: credentials.key,
      secret: credentials.secret,
      cluster: 'mt1',
      encryptionMasterKeyBase64: credentials.encryptionMasterKeyBase64 || undefined,
    })
    return this.#signer
  }

  /**
   * Whether the default connection can sign "private-encrypted-" channels
   */
  get canEncrypt(): boolean {
    return Boolean(this.connection.driver.credentials?.encryptionMasterKeyBase64)
  }

  /**
   * The largest message a client may send to the server the default
   * connection delivers to (a "pusher:signin" must fit)
   */
  get maxClientMessageBytes(): number {
    return this.connection.driver.maxClientMessageBytes ?? PUSHER_MAX_CLIENT_MESSAGE_BYTES
  }
}
