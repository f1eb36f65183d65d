import { RuntimeException } from '@adonisjs/core/exceptions'
import type { PusherCredentials } from '../types.ts'

/**
 * What the incoming webhooks need of the broadcast manager (typed by
 * shape: the manager registers the route that uses this)
 */
interface ManagerLike {
  config: { default: string; incomingWebhooks?: { connection: string } }
  driver(connection: string): { credentials?: PusherCredentials }
}

/**
 * The connection whose key and secret Pusher's webhooks are verified
 * with ("incomingWebhooks.connection", the default one otherwise). A
 * container singleton, injected into the webhook route.
 */
export class IncomingWebhooks {
  readonly connection: string
  #manager: ManagerLike

  constructor(manager: ManagerLike) {
    this.#manager = manager
    this.connection = manager.config.incomingWebhooks?.connection ?? manager.config.default
  }

  /**
   * The connection's credentials; a connection without any (log, null) is
   * the app's mistake
   */
  credentials(): PusherCredentials {
    const credentials = this.#manager.driver(this.connection).credentials
    if (!credentials) {
      throw new RuntimeException(
        `The "${this.connection}" broadcast connection has no key and secret to verify Pusher's webhooks: set "incomingWebhooks.connection" to a "pusher" connection`
      )
    }
    return credentials
  }
}
