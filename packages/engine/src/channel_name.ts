/**
 * Pusher's rules for channel names: these characters only, at most 200 of
 * them (the limit the official SDK enforces)
 */
export const CHANNEL_NAME_CHARSET = /^[A-Za-z0-9_\-=@,.;]+$/
export const MAX_CHANNEL_NAME_LENGTH = 200

/**
 * Why a name is not a valid Pusher channel name, or null when it is
 */
export function channelNameProblem(name: unknown): string | null {
  if (typeof name !== 'string' || name.length === 0) {
    return 'a channel name must be a non-empty string'
  }
  if (name.length > MAX_CHANNEL_NAME_LENGTH) {
    return `it is ${name.length} characters long, the limit is ${MAX_CHANNEL_NAME_LENGTH}`
  }
  if (!CHANNEL_NAME_CHARSET.test(name)) {
    return 'only letters, digits and the characters _ - = @ , . ; are allowed'
  }
  return null
}

/**
 * A signed-in user's own channel, "#server-to-user-<id>" (pusher-js joins
 * it after a sign-in): the only "#" name a server accepts
 */
export const USER_CHANNEL_PREFIX = '#server-to-user-'

/**
 * Where the cluster state counts a user's signed-in sockets (a presence
 * member per user) and where the bus carries its online / offline changes
 * to the nodes of its watchers. No client can subscribe to it: "#" is
 * outside the charset.
 */
export const ONLINE_CHANNEL_PREFIX = '#online-'

/**
 * Channel types by name prefix: how a channel is authorized and what it
 * allows. The longer prefixes are tested first.
 */
export type ChannelType = 'public' | 'private' | 'encrypted' | 'presence' | 'user'

export const CHANNEL_TYPES: readonly ChannelType[] = [
  'public',
  'private',
  'encrypted',
  'presence',
  'user',
]

export function channelType(name: string): ChannelType {
  if (name.startsWith(USER_CHANNEL_PREFIX)) return 'user'
  if (name.startsWith('private-encrypted-')) return 'encrypted'
  if (name.startsWith('private-')) return 'private'
  if (name.startsWith('presence-')) return 'presence'
  return 'public'
}
