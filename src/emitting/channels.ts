import { assertChannelName } from './channel_name.ts'

/**
 * A public channel: anyone connected may listen.
 *
 * @example
 * new Channel('releases')
 */
export class Channel {
  /**
   * The full channel name as it goes on the wire
   */
  readonly name: string

  constructor(name: string) {
    this.name = assertChannelName(this.prefixed(String(name)))
  }

  /**
   * Prefix added to the name, once
   */
  protected get prefix(): string {
    return ''
  }

  protected prefixed(name: string) {
    return this.prefix && !name.startsWith(this.prefix) ? `${this.prefix}${name}` : name
  }

  toString() {
    return this.name
  }
}

/**
 * A private channel: subscribing needs a signature from the app's auth route.
 * The "private-" prefix is added once.
 *
 * @example
 * new PrivateChannel('admins')         // private-admins
 * new PrivateChannel('private-admins') // private-admins
 */
export class PrivateChannel extends Channel {
  protected get prefix() {
    return 'private-'
  }
}

/**
 * An end-to-end encrypted private channel ("private-encrypted-" prefix).
 * Needs "encryptionMasterKeyBase64" on the connection.
 */
export class EncryptedPrivateChannel extends Channel {
  protected get prefix() {
    return 'private-encrypted-'
  }
}

/**
 * A presence channel: like a private channel, plus the list of members.
 * The "presence-" prefix is added once.
 */
export class PresenceChannel extends Channel {
  protected get prefix() {
    return 'presence-'
  }
}

/**
 * A channel given as an object or as its full name
 */
export type ChannelLike = Channel | string

/**
 * Full, validated names of a channel or a list of them
 */
export function channelNames(channels: ChannelLike | ChannelLike[]): string[] {
  const list = Array.isArray(channels) ? channels : [channels]
  return [
    ...new Set(
      list.map((channel) =>
        channel instanceof Channel ? channel.name : assertChannelName(String(channel))
      )
    ),
  ]
}
