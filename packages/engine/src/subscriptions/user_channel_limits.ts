import type { ServerLimits } from '../limits.ts'

/**
 * One user in one channel on this node: its sockets there and its
 * client-event window
 */
interface UserInChannel {
  sockets: number
  windowStart: number
  windowCount: number
}

/**
 * Limits per user and channel on this node, so one account cannot multiply
 * the per-socket limits by opening many sockets: sockets of a user in a
 * channel ("maxSocketsPerUserPerChannel") and client events of a user in a
 * channel ("clientEventsPerUserPerSecond"). An entry lives while the user
 * has a socket in the channel, so nothing outlives the subscriptions.
 *
 * The cluster's counts are the state's (a join refuses past the sockets
 * limit on every node together); this node's own count refuses first,
 * without asking the state, when its sockets alone are at the limit.
 */
export class UserChannelLimits {
  #channels = new Map<string, Map<string, UserInChannel>>()

  constructor(protected limits: ServerLimits) {}

  /**
   * Counts one more socket of the user in the channel; false, counting
   * nothing, when the user is at the limit
   */
  join(channel: string, userId: string): boolean {
    let users = this.#channels.get(channel)
    const entry = users?.get(userId)
    const max = this.limits.maxSocketsPerUserPerChannel
    if (entry) {
      if (max > 0 && entry.sockets >= max) return false
      entry.sockets++
      return true
    }
    if (!users) {
      users = new Map()
      this.#channels.set(channel, users)
    }
    users.set(userId, { sockets: 1, windowStart: 0, windowCount: 0 })
    return true
  }

  /**
   * Forgets one socket of the user in the channel
   */
  leave(channel: string, userId: string) {
    const users = this.#channels.get(channel)
    const entry = users?.get(userId)
    if (!users || !entry) return
    if (--entry.sockets > 0) return
    users.delete(userId)
    if (users.size === 0) this.#channels.delete(channel)
  }

  /**
   * Counts one client event of the user in the channel; false when over
   * the per-second limit
   */
  takeClientEvent(channel: string, userId: string): boolean {
    const perSecond = this.limits.clientEventsPerUserPerSecond
    const entry = this.#channels.get(channel)?.get(userId)
    if (perSecond <= 0 || !entry) return true
    const now = Date.now()
    if (now - entry.windowStart >= 1000) {
      entry.windowStart = now
      entry.windowCount = 0
    }
    entry.windowCount++
    return entry.windowCount <= perSecond
  }

  clear() {
    this.#channels.clear()
  }
}
