import '../src/extended_types.ts'
import { configProvider } from '@adonisjs/core'
import type { ApplicationService } from '@adonisjs/core/types'
import { RuntimeException } from '@adonisjs/core/exceptions'
import { BroadcastManager } from '../src/broadcast_manager.ts'
import { attachBroadcastServer } from '../src/server/attach.ts'
import type { ResolvedBroadcastConfig } from '../src/types.ts'

/**
 * Registers the "broadcast" service. Nothing is opened before the app is
 * ready, and nothing at all in warmup mode.
 */
export default class BroadcastProvider {
  constructor(protected app: ApplicationService) {}

  register() {
    this.app.container.singleton('broadcast', async () => {
      const config = await configProvider.resolve<ResolvedBroadcastConfig<any>>(
        this.app,
        this.app.config.get('broadcast')
      )
      if (!config) {
        throw new RuntimeException(
          'Invalid "config/broadcast.ts" file. Make sure you are using the "defineConfig" method'
        )
      }
      const logger = await this.app.container.make('logger')
      const router = await this.app.container.make('router')
      return new BroadcastManager(config, { logger, router })
    })
  }

  /**
   * Policies load when the app serves requests, so a bad policy file stops
   * boot with its file, line and column. Ace commands skip it: a broken
   * policy must not break "node ace broadcast:check".
   */
  async start() {
    if (this.app.getMode() === 'warmup' || !['web', 'test'].includes(this.app.getEnvironment())) {
      return
    }
    const broadcast = await this.app.container.make('broadcast')
    await broadcast.policies()
  }

  /**
   * Watchers start once the app is ready, never in warmup mode. In the web
   * environment the default connection's embedded server (the "local"
   * driver) serves WebSockets and the Pusher HTTP API on the app's own
   * port; its sockets are closed (4200) on "terminating", before the HTTP
   * server waits for its open connections to end.
   */
  async ready() {
    if (this.app.getMode() === 'warmup' || this.app.getEnvironment() !== 'web') {
      return
    }
    const broadcast = await this.app.container.make('broadcast')
    if (broadcast.config.policies.watch) {
      broadcast.watchPolicies()
    }
    const closeServer = await attachBroadcastServer(this.app)
    this.app.terminating(closeServer)
  }

  async shutdown() {
    if (this.app.getMode() === 'warmup') {
      return
    }
    const broadcast = await this.app.container.make('broadcast')
    await broadcast.close()
  }
}
