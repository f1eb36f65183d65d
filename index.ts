export { configure } from './configure.ts'
export { stubsRoot } from './stubs/main.ts'
export {
  defineConfig,
  type BroadcastConfig,
  type ResolvedBroadcastConfig,
} from './src/define_config.ts'
export { drivers } from './src/connections.ts'
export { adapters, type BroadcastAdapter, type RedisAdapterConfig } from './src/adapters.ts'
export {
  Channel,
  PrivateChannel,
  PresenceChannel,
  EncryptedPrivateChannel,
} from './src/emitting/channels.ts'
export { BroadcastEvent, type Broadcastable } from './src/emitting/broadcast_event.ts'
export { Broadcaster } from './src/emitting/broadcaster.ts'
export { BroadcastManager } from './src/broadcast_manager.ts'
export { BroadcastFake } from './src/emitting/broadcast_fake.ts'
export type { LocalDriver } from './src/drivers/local.ts'
export type { PusherDriver } from './src/drivers/pusher.ts'
export type { BroadcastDriver, BroadcastMessage } from './src/drivers/types.ts'
export { ChannelPolicies, PolicyService } from './src/policies/main.ts'
export type { BroadcastService } from './src/extended_types.ts'
export * as errors from './src/errors.ts'
export { BroadcastCheck } from './src/health/broadcast_check.ts'
export { isLocalRequest } from './src/metrics/local_request.ts'
export { BroadcastMetrics } from './src/metrics/broadcast_metrics.ts'
export type { MetricsConfig } from './src/metrics/types.ts'

/**
 * The embedded server's own types and its webhook sender, from the engine
 * package, where the app's code has always imported them
 */
export {
  WebhookSender,
  type WebhookTarget,
  type WebhookSenderOptions,
  type WebhookStats,
} from '@adonisjs-broadcasting/engine/webhooks'
export {
  type ClusterAdapter,
  type Bus,
  type BusMessage,
  type ChannelState,
  type LifecycleEvent,
  type LifecycleEventName,
  type ChannelOccupied,
  type ChannelVacated,
  type MemberAdded,
  type MemberRemoved,
  type ClientEvent,
  type CacheMiss,
  type SubscriptionCount,
  type ClientEventOutcome,
  type ServerEventMap,
  type ServingNode,
} from '@adonisjs-broadcasting/engine'
export { EventsHub, type BroadcastEventMap } from './src/events_hub.ts'
