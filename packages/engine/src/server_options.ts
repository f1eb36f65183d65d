import type { ServerLimits } from './limits.ts'
import type { ClusterFactory } from './cluster/cluster.ts'
import type { ClientEventsAllowed } from './subscriptions/message_handler.ts'
import type { SubscriptionCountOption } from './subscriptions/subscription_counts.ts'
import type { ServerEvents } from './server_events.ts'
import type { ClientAddress } from './connection/upgrade_request.ts'
import type { WebhookTarget } from './webhooks/webhook_sender.ts'

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
   * The client's address from its upgrade request, for the per-address
   * cap ("limits.maxConnectionsPerIp"). Behind a proxy, give the forwarded
   * address as far as you trust the hops, e.g. with "proxy-addr":
   * "(req) => proxyaddr(req, 'loopback')". It runs on what clients send: a
   * throw or no address falls back to the TCP peer. Default: the TCP peer
   */
  clientAddress?: ClientAddress
  /**
   * Receives errors that escaped a listener (a bug, never bad input: that
   * is answered). Default: NODE_DEBUG=adonisjs:broadcast output
   */
  logger?: ServerLogger
  /**
   * Where the server tells what happens: lifecycle events, publishes,
   * counts for metrics. Give several servers one hub to listen to them
   * all. Default: a hub of its own ("server.events")
   */
  events?: ServerEvents
  /**
   * Pusher-compatible webhooks of the lifecycle events, signed with the
   * app's key and secret (or the target's own "secret"), batched, retried
   * for 5 minutes. Default: none
   */
  webhooks?: WebhookTarget[]
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
}
