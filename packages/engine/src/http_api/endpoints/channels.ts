import { Refusal } from '../../refusal.ts'
import type { ApiRequest, HttpApiHost } from '../endpoint.ts'

/**
 * GET /apps/:appId/channels: the occupied channels across the cluster,
 * by "filter_by_prefix"; "info=user_count" for presence channels only
 */
export async function listChannels(host: HttpApiHost, { query }: ApiRequest) {
  const prefix = query.filter_by_prefix ?? ''
  const attributes = query.info ? query.info.split(',') : []
  for (const attribute of attributes) {
    if (attribute !== 'user_count')
      throw new Refusal(400, `Unsupported info attribute "${attribute}"`)
    if (!prefix.startsWith('presence-')) {
      throw new Refusal(400, 'info=user_count requires filter_by_prefix=presence-')
    }
  }
  const channels: Record<string, Record<string, number>> = {}
  for (const [name, stats] of await host.state.channels()) {
    // "#" channels are the server's own (a user's), never listed
    if (!name.startsWith(prefix) || name.startsWith('#')) continue
    channels[name] = attributes.includes('user_count') ? { user_count: stats.userCount ?? 0 } : {}
  }
  return { channels }
}
