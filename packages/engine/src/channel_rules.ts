import { channelNameProblem, channelType } from './channel_name.ts'

/**
 * Channel names as the server sees them. "#server-to-user-<id>" is the only
 * "#" name accepted: its id is checked against the signed-in user.
 */
export const USER_CHANNEL_PREFIX = '#server-to-user-'

/**
 * How a channel is authorized and what it allows. Longer prefixes are
 * tested first ("private-encrypted-" before "private-").
 */
export type ServerChannelKind = 'public' | 'private' | 'encrypted' | 'presence' | 'user'

export const CHANNEL_KINDS: readonly ServerChannelKind[] = [
  'public',
  'private',
  'encrypted',
  'presence',
  'user',
]

export function channelKind(name: string): ServerChannelKind {
  return name.startsWith(USER_CHANNEL_PREFIX) ? 'user' : channelType(name)
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
 * Why a channel name is refused by the server, or null: Pusher's rules
 * (channelNameProblem), plus the one "#" name it serves, a user channel
 * with a non-empty id
 */
export function serverChannelNameProblem(name: unknown): string | null {
  if (typeof name !== 'string' || !name.startsWith(USER_CHANNEL_PREFIX)) {
    return channelNameProblem(name)
  }
  const id = name.slice(USER_CHANNEL_PREFIX.length)
  return id.length === 0 ? `"${name}" has no user id` : channelNameProblem(id)
}
