import type { ChannelLike } from '../emitting/channels.ts'
import type { ResolvedAuthorizationConfig } from '../authorization/types.ts'
import type { ConsoleConfig } from './types.ts'

/**
 * What the console needs of the broadcast manager (typed by shape: the
 * manager registers the routes that use this)
 */
interface ManagerLike {
  config: { authorization: ResolvedAuthorizationConfig; console: Required<ConsoleConfig> }
  driver(): unknown
  channel(channels: ChannelLike, event: string, data?: unknown): Promise<unknown>
}

/**
 * The default connection as the debug console sees it: the settings, its
 * driver (the page needs the "local" one) and a way to send its test
 * events. A container singleton, injected into the console routes.
 */
export class ConsoleConnection {
  #manager: ManagerLike

  constructor(manager: ManagerLike) {
    this.#manager = manager
  }

  get config() {
    return this.#manager.config
  }

  driver() {
    return this.#manager.driver()
  }

  /**
   * Sends through the manager, so that "broadcast.fake()" records it
   */
  channel(channel: string, event: string, data?: unknown) {
    return this.#manager.channel(channel, event, data)
  }
}
