import { DateTime } from 'luxon'
import broadcast from 'adonisjs-broadcasting/services/main'
import type { MemberAdded, MemberRemoved } from 'adonisjs-broadcasting'
import User from '#models/user'
import TeamMemberSeen from '#events/team_member_seen'

/**
 * Keeps "online" and "last_seen_at" of the chat's members. The events come
 * once for the whole cluster, and "member_removed" only after a user stayed
 * away for 3 s, so a page reload does not make anyone flicker offline.
 */
export default class TeamPresence {
  async joined(event: MemberAdded) {
    await this.#seen(event, true)
  }

  async left(event: MemberRemoved) {
    await this.#seen(event, false)
  }

  async #seen({ channel, user_id: userId }: MemberAdded | MemberRemoved, online: boolean) {
    if (!channel.startsWith('presence-chat.')) return
    const user = await User.find(userId)
    if (!user) return
    user.merge({ online, lastSeenAt: DateTime.now() })
    await user.save()
    await broadcast.emit(new TeamMemberSeen(user))
  }
}
