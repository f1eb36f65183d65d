import { publicChannelDecision } from './public_channel.ts'
import { snapshotUser, type SerializeUser } from './user_snapshot.ts'
import type { PolicyContext, PolicyDecision } from './types.ts'

/**
 * Decides a channel for a user the way the auth route does: the user is
 * snapshotted first (a Lucid model becomes its serialized fields), so a
 * test sees exactly what a browser would get. "policies" is the policy
 * service or loaded ChannelPolicies. A public channel is allowed without a
 * policy, as the server allows it.
 *
 * @example
 * const decision = await checkPolicy(policies, user, 'private-admins')
 * assert.isTrue(decision.allowed)
 */
export async function checkPolicy(
  policies: { decide(channel: string, context: PolicyContext): Promise<PolicyDecision> },
  user: unknown,
  channel: string,
  options: { socketId?: string; serializeUser?: SerializeUser } = {}
): Promise<PolicyDecision> {
  const publicChannel = publicChannelDecision(channel)
  if (publicChannel) return publicChannel
  return policies.decide(channel, {
    user: await snapshotUser(user, options.serializeUser),
    socketId: options.socketId ?? '1234.5678',
  })
}
