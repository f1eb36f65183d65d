import type { WebhookStats } from '../webhooks/target_queue.ts'
import type { ServerStats } from '../server_view.ts'

/**
 * What a client event came to: sent on, refused (not subscribed, not
 * allowed, bad name) or over a rate limit
 */
export type ClientEventOutcome = 'relayed' | 'refused' | 'rate_limited'

/**
 * What a node shows of itself when its metrics are read: read at scrape
 * time, so keeping gauges costs the hot path nothing
 */
export interface MetricsSource {
  /**
   * Read on every labelled count: must be cheap
   */
  readonly nodeId: string | undefined
  /**
   * Read at scrape time
   */
  stats(): ServerStats
  webhookStats?(): WebhookStats | undefined
}

/**
 * The hooks the embedded server calls when metrics are on. Each is O(1)
 * and allocates nothing: the server calls them on its hot paths. Every
 * hook is optional, so a partial recorder (a test's) fits.
 */
export interface ServerMetrics {
  /**
   * A frame read from a client
   */
  received?(bytes: number): void
  /**
   * A frame published to "recipients" local sockets
   */
  delivered?(recipients: number, frameBytes: number): void
  clientEvent?(outcome: ClientEventOutcome): void
  /**
   * A socket closed with 4100 because it did not read fast enough
   */
  slowConsumerDropped?(): void
  /**
   * A Pusher HTTP API request answered. "endpoint" is one of a fixed set
   */
  apiRequest?(endpoint: string, status: number): void
  /**
   * A message published on the Redis bus, and how long it took
   */
  busPublished?(seconds: number): void
  busReconnected?(): void
  /**
   * A node to read gauges from (its connections, channels, webhooks)
   */
  observe?(source: MetricsSource): void
}
