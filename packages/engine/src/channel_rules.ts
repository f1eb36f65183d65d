import { channelNameProblem, USER_CHANNEL_PREFIX } from './channel_name.ts'

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
