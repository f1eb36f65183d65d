import app from '@adonisjs/core/services/app'
import type { BroadcastService } from '../src/extended_types.ts'

let broadcast: BroadcastService

/**
 * The app's "broadcast" service
 *
 * @example
 * import broadcast from 'adonisjs-broadcasting/services/main'
 * await broadcast.emit(new UserAdded(user))
 */
await app.booted(async () => {
  broadcast = await app.container.make('broadcast')
})

export { broadcast as default }
