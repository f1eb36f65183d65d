import type { Logger } from '@adonisjs/core/logger'
import { EventHub, type ServerEventMap } from '@adonisjs-broadcasting/engine/events'
import type { PolicyContext, PolicyDecision } from './policies/types.ts'

/**
 * The app's events: its embedded servers' (lifecycle, publishes, counts)
 * and its policies' decisions
 */
export interface BroadcastEventMap extends ServerEventMap {
  /**
   * A channel authorization the auth routes asked the policies for
   */
  decision: [channel: string, decision: PolicyDecision, context: PolicyContext]
}

/**
 * The one hub the package's parts tell what happens on, and the one the
 * provider wires the metrics, the debug console and the app's emitter to.
 * A listener that throws is logged; the others still run.
 */
export class EventsHub extends EventHub<BroadcastEventMap> {
  constructor(logger?: Pick<Logger, 'error'>) {
    super(
      logger &&
        ((error, name) => logger.error({ err: error }, `broadcast: a "${name}" listener failed`))
    )
  }
}
