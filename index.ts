export { configure } from './configure.ts'
export { stubsRoot } from './stubs/main.ts'
export { defineConfig, drivers, adapters, type BroadcastAdapter } from './src/define_config.ts'
export {
  Channel,
  PrivateChannel,
  PresenceChannel,
  EncryptedPrivateChannel,
} from './src/channels.ts'
export { BroadcastEvent } from './src/broadcast_event.ts'
export { Broadcaster } from './src/broadcaster.ts'
export { BroadcastManager } from './src/broadcast_manager.ts'
export { BroadcastFake } from './src/broadcast_fake.ts'
export type { LocalDriver } from './src/drivers/local.ts'
export type { PusherDriver } from './src/drivers/pusher.ts'
export type {
  Broadcastable,
  BroadcastConfig,
  BroadcastDriver,
  ResolvedBroadcastConfig,
  BroadcastMessage,
} from './src/types.ts'
export { ChannelPolicies, PolicyService } from './src/policies/main.ts'
export type { BroadcastService } from './src/extended_types.ts'
export * as errors from './src/errors.ts'
export type { ClusterAdapter } from './src/server/cluster.ts'
export type { Bus, BusMessage } from './src/server/bus/bus.ts'
export type { ChannelState } from './src/server/state/channel_state.ts'
export { WebhookSender } from './src/webhooks/webhook_sender.ts'
export type {
  WebhookTarget,
  WebhookSenderOptions,
  WebhookStats,
} from './src/webhooks/webhook_sender.ts'
export type {
  LifecycleEvent,
  LifecycleEventName,
  ChannelOccupied,
  ChannelVacated,
  MemberAdded,
  MemberRemoved,
  ClientEvent,
  CacheMiss,
  SubscriptionCount,
} from './src/lifecycle_events.ts'
export { BroadcastCheck } from './src/health/broadcast_check.ts'
export { isLocalRequest } from './src/local_request.ts'
export { BroadcastMetrics } from './src/metrics/broadcast_metrics.ts'
export type { ServerMetrics, ClientEventOutcome } from './src/metrics/server_metrics.ts'
export type { MetricsConfig } from './src/types.ts'
