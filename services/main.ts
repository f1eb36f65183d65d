import app from '@adonisjs/core/services/app'
import type { BroadcastManager } from '../src/broadcast_manager.ts'

let broadcast: BroadcastManager

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
