import type { ServerLimits } from '../limits.ts'
import type { PresenceMember } from '../state/channel_state.ts'
import type { SocketConnection } from '../connection/socket_connection.ts'
import { verifyAuth } from '../signatures.ts'
import { Refusal } from '../refusal.ts'
import { channelType, USER_CHANNEL_PREFIX } from '../channel_name.ts'

/**
 * The app's credentials: what a subscription's signature is checked with
 */
export interface AppCredentials {
  readonly key: string
  readonly secret: string
}

/**
 * Checks a "pusher:subscribe" by channel kind, over the exact signed
 * strings, and reads the presence member it joins as. A refusal is thrown
 * with the status and reason the client is answered.
 */
export class ChannelAuthorization {
  constructor(
    protected credentials: AppCredentials,
    protected limits: ServerLimits
  ) {}

  /**
   * The presence member for presence channels; nothing for the others
   */
  async check(
    socket: SocketConnection,
    channel: string,
    data: Record<string, unknown>
  ): Promise<PresenceMember | undefined> {
    const { key, secret } = this.credentials
    switch (channelType(channel)) {
      case 'public':
        return undefined
      case 'user':
        if (!socket.userId || channel !== `${USER_CHANNEL_PREFIX}${socket.userId}`) {
          throw new Refusal(403, `Only the signed-in user may subscribe to "${channel}"`)
        }
        return undefined
      case 'private':
      case 'encrypted':
        if (!verifyAuth(data.auth, key, secret, `${socket.id}:${channel}`)) {
          throw new Refusal(401, `Invalid signature for "${channel}"`)
        }
        return undefined
      case 'presence':
        return this.#presenceMember(socket, channel, data)
    }
  }

  async #presenceMember(
    socket: SocketConnection,
    channel: string,
    data: Record<string, unknown>
  ): Promise<PresenceMember> {
    const { key, secret } = this.credentials
    let member: PresenceMember

    if (typeof data.channel_data === 'string') {
      if (!verifyAuth(data.auth, key, secret, `${socket.id}:${channel}:${data.channel_data}`)) {
        throw new Refusal(401, `Invalid signature for "${channel}"`)
      }
      member = this.#parseChannelData(data.channel_data)
    } else if (data.channel_data === undefined && socket.userId) {
      // pusher-js omits channel_data when the user signed in with user_info
      if (!verifyAuth(data.auth, key, secret, `${socket.id}:${channel}`)) {
        throw new Refusal(401, `Invalid signature for "${channel}"`)
      }
      member = { id: socket.userId, info: socket.userInfo ?? {} }
    } else {
      throw new Refusal(401, `Missing channel_data for "${channel}"`)
    }

    const info = JSON.stringify(member.info ?? null)
    if (Buffer.byteLength(info) > this.limits.maxUserInfoBytes) {
      throw new Refusal(400, `user_info is over ${this.limits.maxUserInfoBytes} bytes`)
    }
    // The member limit is checked by the state's join, atomically for the cluster
    return member
  }

  #parseChannelData(channelData: string): PresenceMember {
    let parsed: unknown
    try {
      parsed = JSON.parse(channelData)
    } catch {
      throw new Refusal(400, 'channel_data is not valid JSON')
    }
    const { user_id: userId, user_info: info } = (parsed ?? {}) as Record<string, unknown>
    // Ids are strings on the wire; Laravel-style numeric ids are accepted
    const id = typeof userId === 'number' && Number.isFinite(userId) ? String(userId) : userId
    if (typeof id !== 'string' || id.length === 0 || id.length > this.limits.maxUserIdLength) {
      throw new Refusal(
        400,
        `channel_data.user_id must be a string of 1 to ${this.limits.maxUserIdLength} characters`
      )
    }
    return { id, info: info ?? {} }
  }
}
