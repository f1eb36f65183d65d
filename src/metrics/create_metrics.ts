import type { PolicyService } from '../policies/policy_service.ts'
import type { ResolvedMetricsConfig } from '../types.ts'
import { BroadcastMetrics } from './broadcast_metrics.ts'
import { loadPromClient, registerPrometheus } from './prometheus.ts'

/**
 * The app's broadcast metrics, registered on a prom-client registry (the
 * app's or a private one), counting the policies' decisions too. Rejects
 * with what to install when prom-client is missing.
 */
export async function createMetrics(config: ResolvedMetricsConfig, policies?: PolicyService) {
  const client = await loadPromClient()
  const metrics = new BroadcastMetrics()
  metrics.registry = registerPrometheus(client, metrics, {
    prefix: config.prefix,
    registry: config.registry,
  })
  policies?.observeDecisions((_channel, decision) => metrics.decision(decision))
  return metrics
}
