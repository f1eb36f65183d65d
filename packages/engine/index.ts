/**
 * A Pusher protocol v7 server for Node, with no framework: WebSocket
 * connections, the Pusher HTTP API, presence, client events, cache
 * channels, user sign-in, outgoing webhooks and a cluster of nodes over a
 * bus and a shared channel state (in memory, or Redis).
 */

/**
 * The server: attach it to a Node HTTP server or let it listen on a port
 */
export {
  EmbeddedServer,
  type EmbeddedServerOptions,
  type ServerLogger,
} from './src/embedded_server.ts'
export type { ServerLimits } from './src/limits.ts'
export type { ClientEventsAllowed } from './src/subscriptions/message_handler.ts'
export type { ClientAddress } from './src/connection/upgrade_request.ts'
export type { SubscriptionCountOption } from './src/subscriptions/subscription_counts.ts'

/**
 * Several nodes as one server: a bus, a channel state, and what makes them
 */
export { memoryCluster, type ClusterAdapter, type ClusterFactory } from './src/cluster/cluster.ts'
export { createRedisAdapter, type RedisAdapterOptions } from './src/cluster/redis_adapter.ts'
export { ClusterPublisher } from './src/cluster/cluster_publisher.ts'
export type { Bus, BusMessage } from './src/bus/bus.ts'
export type { ChannelState } from './src/state/channel_state.ts'

/**
 * What the server tells (one events hub), and the outgoing webhooks
 * that send its lifecycle events on
 */
export {
  LIFECYCLE_EVENT_NAMES,
  type LifecycleEvent,
  type LifecycleEventName,
  type LifecycleListener,
  type ChannelOccupied,
  type ChannelVacated,
  type MemberAdded,
  type MemberRemoved,
  type ClientEvent,
  type CacheMiss,
  type SubscriptionCount,
} from './src/lifecycle/lifecycle_events.ts'
export * from './events.ts'
export * from './webhooks.ts'

/**
 * Pusher's rules for names and ids
 */
export {
  MAX_CHANNEL_NAME_LENGTH,
  channelNameProblem,
  channelType,
  type ChannelType,
  CHANNEL_TYPES,
  SOCKET_ID_PATTERN,
  MAX_EVENT_NAME_LENGTH,
} from './rules.ts'
