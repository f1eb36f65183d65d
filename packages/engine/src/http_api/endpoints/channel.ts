import { serverChannelNameProblem, isCacheChannel } from '../../channel_rules.ts'
import { Refusal } from '../../refusal.ts'
import type { ApiRequest, HttpApiHost } from '../endpoint.ts'

/**
 * GET /apps/:appId/channels/:channel: whether it is occupied, and the
 * "info" attributes its type has (user_count, subscription_count, cache)
 */
export async function channelInfo(host: HttpApiHost, { params, query }: ApiRequest) {
  const name = params.channel
  const problem = serverChannelNameProblem(name)
  if (problem) throw new Refusal(400, problem)
  const presence = name.startsWith('presence-')
  const attributes = query.info ? query.info.split(',') : []
  const stats = await host.state.channel(name)
  const result: Record<string, unknown> = { occupied: stats.subscriptionCount > 0 }
  for (const attribute of attributes) {
    if (attribute === 'user_count' && presence) result.user_count = stats.userCount ?? 0
    else if (attribute === 'subscription_count') result.subscription_count = stats.subscriptionCount
    else if (attribute === 'cache' && isCacheChannel(name))
      result.cache = await cachedEvent(host, name)
    else throw new Refusal(400, `Unsupported info attribute "${attribute}" for "${name}"`)
  }
  return result
}

/**
 * "info=cache": the cached event's data and its remaining TTL in
 * seconds, or null when nothing is cached
 */
async function cachedEvent(host: HttpApiHost, name: string) {
  const entry = await host.state.cachedEvent(name)
  if (!entry) return null
  const ttl = Math.max(1, Math.ceil((entry.expiresAt - Date.now()) / 1000))
  return { data: frameData(entry.frame), ttl }
}

/**
 * The "data" of a frame we serialized ourselves
 */
function frameData(frame: string): unknown {
  try {
    return JSON.parse(frame).data ?? null
  } catch {
    return null
  }
}
