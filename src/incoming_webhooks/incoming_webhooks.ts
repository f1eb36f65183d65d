import { RuntimeException } from '@adonisjs/core/exceptions'
import type { PusherCredentials } from '../drivers/types.ts'
import { DEFAULT_MAX_REMEMBERED, DEFAULT_REPLAY_WINDOW_MS, ReplayGuard } from './replay_guard.ts'

/**
 * What the incoming webhooks need of the broadcast manager (typed by
 * shape: the manager registers the route that uses this)
 */
interface ManagerLike {
  config: {
    default: string
    incomingWebhooks?: { connection: string; replayWindow?: number; maxRemembered?: number }
  }
  driver(connection: string): { credentials?: PusherCredentials }
}

/**
 * The connection whose key and secret Pusher's webhooks are verified
 * with ("incomingWebhooks.connection", the default one otherwise), and the
 * batches already received. A container singleton, injected into the
 * webhook route.
 */
export class IncomingWebhooks {
  readonly connection: string
  readonly replays: ReplayGuard
  #manager: ManagerLike

  constructor(manager: ManagerLike) {
    this.#manager = manager
    const config = manager.config.incomingWebhooks
    this.connection = config?.connection ?? manager.config.default
    this.replays = new ReplayGuard(
      config?.replayWindow ?? DEFAULT_REPLAY_WINDOW_MS,
      config?.maxRemembered ?? DEFAULT_MAX_REMEMBERED
    )
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
