import '../src/extended_types.ts'
import type { ApplicationService } from '@adonisjs/core/types'
import { RuntimeException } from '@adonisjs/core/exceptions'
import { BroadcastManager } from '../src/broadcast_manager.ts'
import type { BroadcastConfig } from '../src/types.ts'

/**
 * Registers the "broadcast" service. Nothing is opened before the app is
 * ready, and nothing at all in warmup mode.
 */
export default class BroadcastProvider {
  constructor(protected app: ApplicationService) {}

  register() {
    this.app.container.singleton('broadcast', async () => {
      const config = this.app.config.get<BroadcastConfig | undefined>('broadcast')
      if (!config?.connections) {
        throw new RuntimeException(
          'Invalid "config/broadcast.ts" file. Make sure you are using the "defineConfig" method'
        )
      }
      const logger = await this.app.container.make('logger')
      return new BroadcastManager(this.app, config, logger)
    })
  }

  async shutdown() {
    if (this.app.getMode() === 'warmup') {
      return
    }
    const broadcast = await this.app.container.make('broadcast')
    await broadcast.close()
  }
}
