import type { Logger } from '@adonisjs/core/logger'
import { canonicalId } from './member.ts'
import type { PolicyContext, PolicyDecision } from './types.ts'

/**
 * One structured log line per decision ("policies.logDecisions"), so an
 * operator can tell why a user was refused at 10:42 without debug mode.
 * The reason never holds user data; the user appears by id only.
 */
export function logDecision(
  logger: Pick<Logger, 'info'>,
  channel: string,
  context: PolicyContext,
  decision: PolicyDecision,
  durationMs: number
) {
  logger.info(
    {
      channel: String(channel).slice(0, 200),
      userId: canonicalId(context.user?.id) ?? null,
      pattern: decision.pattern,
      outcome: decision.allowed ? 'allow' : 'deny',
      reason: decision.reason,
      durationMs: Number(durationMs.toFixed(3)),
    },
    'broadcast authorization decision'
  )
}
