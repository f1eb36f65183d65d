import { Refusal } from '../../refusal.ts'
import type { ApiRequest, HttpApiHost } from '../endpoint.ts'

/**
 * GET /apps/:appId/channels/:channel/users: a presence channel's distinct
 * user ids across the cluster
 */
export async function channelUsers(host: HttpApiHost, { params }: ApiRequest) {
  const name = params.channel
  if (!name.startsWith('presence-'))
    throw new Refusal(400, 'Users are only available for presence channels')
  const members = await host.state.members(name)
  return { users: [...members.keys()].map((id) => ({ id })) }
}
