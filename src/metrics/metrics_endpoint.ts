import type { ResolvedBroadcastConfig } from '../types.ts'

/**
 * What the metrics route needs of the broadcast manager (typed by shape:
 * the manager registers the route that uses this)
 */
interface ManagerLike {
  config: Pick<ResolvedBroadcastConfig<any>, 'metrics'>
  metrics?: { text(): Promise<{ body: string; contentType: string }> }
}

/**
 * The metrics, when on, and who may read them ("metrics.shouldExpose").
 * A container singleton, injected into the metrics route.
 */
export class MetricsEndpoint {
  #manager: ManagerLike

  constructor(manager: ManagerLike) {
    this.#manager = manager
  }

  get config() {
    return this.#manager.config
  }

  get metrics() {
    return this.#manager.metrics
  }
}
