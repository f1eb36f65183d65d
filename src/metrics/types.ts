import type { HttpContext } from '@adonisjs/core/http'
import type { MetricsRegistry } from './broadcast_metrics.ts'

/**
 * Prometheus metrics of the broadcast side of the app
 */
export interface MetricsConfig {
  /**
   * Default: true once "metrics" is set
   */
  enabled?: boolean
  /**
   * Put before every metric name. Default "broadcast_"
   */
  prefix?: string
  /**
   * The app's own prom-client Registry, to expose the broadcast metrics
   * with its own. Default: a private one
   */
  registry?: MetricsRegistry
  /**
   * Path of the route "broadcast.registerMetricsRoute()" adds. Default
   * "/metrics"
   */
  path?: string
  /**
   * Who may read the metrics route. Default: "isLocalRequest", requests
   * whose TCP peer is the loopback address and that carry no proxy header
   * (Forwarded, X-Forwarded-*, X-Real-IP...): a request that came through
   * a reverse proxy is refused
   */
  shouldExpose?: (ctx: HttpContext) => boolean | Promise<boolean>
}

/**
 * Metrics config with its defaults applied
 */
export type ResolvedMetricsConfig = Required<Omit<MetricsConfig, 'registry'>> &
  Pick<MetricsConfig, 'registry'>
