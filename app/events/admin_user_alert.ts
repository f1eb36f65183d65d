import { BroadcastEvent, PrivateChannel } from 'adonisjs-broadcasting'

/**
 * An alert only admins may see: the policy allows "private-admins" to users
 * whose role is admin
 */
export default class AdminUserAlert extends BroadcastEvent {
  constructor(public message: string) {
    super()
  }

  broadcastOn() {
    return new PrivateChannel('admins')
  }
}
