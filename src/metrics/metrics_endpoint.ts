import type { ResolvedMetricsConfig } from './types.ts'
import type { BroadcastMetrics } from './broadcast_metrics.ts'

/**
 * The metrics, when on, and who may read them ("metrics.shouldExpose").
 * A container singleton, injected into the metrics route.
 */
export class MetricsEndpoint {
  constructor(
    readonly config: { metrics: ResolvedMetricsConfig },
    readonly metrics?: BroadcastMetrics
  ) {}
}
