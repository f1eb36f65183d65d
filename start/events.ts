/*
|--------------------------------------------------------------------------
| Event listeners
|--------------------------------------------------------------------------
*/
import emitter from '@adonisjs/core/services/emitter'

const TeamPresence = () => import('#listeners/team_presence')

/**
 * The embedded server's channel lifecycle (with the pusher driver, the
 * same events come from Pusher's webhooks)
 */
emitter.on('broadcast:member_added', [TeamPresence, 'joined'])
emitter.on('broadcast:member_removed', [TeamPresence, 'left'])
