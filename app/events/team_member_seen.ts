import { BroadcastEvent, Channel } from 'adonisjs-broadcasting'
import type User from '#models/user'

/**
 * A user came online or went offline in the chat: the team list of every
 * page shows it
 */
export default class TeamMemberSeen extends BroadcastEvent {
  constructor(protected user: User) {
    super()
  }

  broadcastOn() {
    return new Channel('team')
  }

  broadcastWith() {
    return {
      id: this.user.id,
      name: this.user.fullName,
      online: this.user.online,
      lastSeenAt: this.user.lastSeenAt?.toISO() ?? null,
    }
  }
}
