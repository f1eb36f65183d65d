/**
 * Channel names as the server sees them. "#server-to-user-<id>" is the only
 * "#" name accepted: its id is checked against the signed-in user.
 */
export const USER_CHANNEL_PREFIX = '#server-to-user-'
export const MAX_CHANNEL_NAME_LENGTH = 200
const CHARSET = /^[A-Za-z0-9_\-=@,.;]+$/

/**
 * How a channel is authorized and what it allows. Longer prefixes are
 * tested first ("private-encrypted-" before "private-").
 */
export type ServerChannelKind = 'public' | 'private' | 'encrypted' | 'presence' | 'user'

export function channelKind(name: string): ServerChannelKind {
  if (name.startsWith(USER_CHANNEL_PREFIX)) return 'user'
  if (name.startsWith('private-encrypted-')) return 'encrypted'
  if (name.startsWith('private-')) return 'private'
  if (name.startsWith('presence-')) return 'presence'
  return 'public'
}

/**
 * Cache channels keep their last server event for new subscribers
 */
export function isCacheChannel(name: string) {
  return (
    name.startsWith('cache-') ||
    name.startsWith('private-cache-') ||
    name.startsWith('private-encrypted-cache-') ||
    name.startsWith('presence-cache-')
  )
}

/**
 * Why a channel name is refused, or null. Pusher's charset and the SDK's
 * 200 characters; "#" only for a user channel with a non-empty id.
 */
export function channelNameProblem(name: unknown): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'channel must be a non-empty string'
  if (name.length > MAX_CHANNEL_NAME_LENGTH) {
    return `channel name is ${name.length} characters, the limit is ${MAX_CHANNEL_NAME_LENGTH}`
  }
  const rest = name.startsWith(USER_CHANNEL_PREFIX) ? name.slice(USER_CHANNEL_PREFIX.length) : name
  if (rest.length === 0 || !CHARSET.test(rest)) {
    return `invalid channel name "${name}": only A-Z a-z 0-9 _ - = @ , . ; are allowed`
  }
  return null
}
