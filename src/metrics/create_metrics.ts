import type { ResolvedMetricsConfig } from './types.ts'
import { BroadcastMetrics } from './broadcast_metrics.ts'
import { loadPromClient, registerPrometheus } from './prometheus.ts'

/**
 * The app's broadcast metrics, registered on a prom-client registry (the
 * app's or a private one). Rejects with what to install when prom-client
 * is missing.
 */
export async function createMetrics(config: ResolvedMetricsConfig) {
  const client = await loadPromClient()
  const metrics = new BroadcastMetrics()
  metrics.registry = registerPrometheus(client, metrics, {
    prefix: config.prefix,
    registry: config.registry,
  })
  return metrics
}
