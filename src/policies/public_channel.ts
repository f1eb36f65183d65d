import { channelType } from '@adonisjs-broadcasting/engine/rules'
import { isValidChannelName } from './pattern.ts'
import type { PolicyDecision } from './types.ts'

/**
 * What the tools (`broadcast:check`, policy tests) report for a public
 * channel: allowed, with no pattern. The server lets anyone subscribe to one
 * and never asks the policies (the auth route refuses to sign it), so "no
 * policy pattern matches" would misreport it. Null for any other channel.
 */
export function publicChannelDecision(channel: string): PolicyDecision | null {
  if (typeof channel !== 'string' || !isValidChannelName(channel)) return null
  if (channelType(channel) !== 'public') return null
  return {
    allowed: true,
    pattern: null,
    reason: `"${channel}" is a public channel: public channels need no authorization, anyone may subscribe`,
    member: null,
    clientEvents: false,
  }
}
