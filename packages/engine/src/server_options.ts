import type { ServerLimits } from './limits.ts'
import type { ClusterFactory } from './cluster.ts'
import type { ClientEventsAllowed } from './message_handler.ts'
import type { SubscriptionCountOption } from './subscription_counts.ts'
import type { LifecycleListener } from './lifecycle_events.ts'
import type { ServerMetrics } from './metrics/server_metrics.ts'

/**
 * Where errors no input should cause are reported (the AdonisJS logger
 * fits)
 */
export interface ServerLogger {
  error(details: object, message: string): void
  warn(details: object, message: string): void
}

/**
 * Options of the embedded server
 */
export interface EmbeddedServerOptions {
  appId: string
  key: string
  secret: string
  /**
   * Path prefix before "/app/<key>" (pusher-js "wsPath"). Default: none
   */
  path?: string
  limits?: Partial<ServerLimits>
  /**
   * Makes this node's bus and channel state on every start, so several
   * processes act as one server. Default: in memory, one process
   * ("memoryCluster()")
   */
  cluster?: ClusterFactory
  /**
   * How often this node marks itself alive and looks for dead nodes to
   * remove, in seconds. Default: 3
   */
  heartbeatInterval?: number
  /**
   * Whether client events may be sent on a channel, asked per message (the
   * local driver asks the policy service). Default: never
   */
  clientEventsAllowed?: ClientEventsAllowed
  /**
   * How long cache channels keep their last event, in seconds. Default: 1800
   */
  cacheTtl?: number
  /**
   * Browser origins allowed to open a WebSocket ("Origin" header):
   * "https://app.example.com", "app.example.com" (any scheme and port),
   * "*.example.com" (subdomains) or "*". Others are closed with 4009.
   * Default: any origin, as Pusher and Reverb
   */
  allowedOrigins?: string[]
  /**
   * Receives errors that escaped a listener (a bug, never bad input: that
   * is answered). Default: NODE_DEBUG=adonisjs:broadcast output
   */
  logger?: ServerLogger
  /**
   * Receives the channel lifecycle events ("channel_occupied", ...), each
   * once for the cluster. Default: none
   */
  onLifecycleEvent?: LifecycleListener
  /**
   * How long "channel_vacated" and "member_removed" wait, in seconds: a
   * join within that time takes them back, and makes no event either (a
   * page reload). The channel's clients get "member_removed" after the
   * same delay, and no "member_added" for a member that came back within
   * it. Default: 3, as Pusher
   */
  leaveEventDelay?: number
  /**
   * Channels whose subscribers get their subscription count
   * ("pusher:subscription_count" in pusher-js) after each change: true,
   * or a function of the channel name. Never presence channels.
   * Default: none
   */
  subscriptionCount?: SubscriptionCountOption
  /**
   * Counts what the server does (Prometheus metrics). Every hook is O(1)
   * and allocation-free. Default: none
   */
  metrics?: ServerMetrics
  /**
   * Told of every event published from this node (the debug console).
   * Must not throw. Default: none
   */
  onPublish?: (channels: string[], event: string, data: string) => void
}
