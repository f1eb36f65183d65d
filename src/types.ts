/**
 * The types apps import, as "adonisjs-broadcasting/types". Each is defined
 * beside the code it describes; the package's own modules import it from
 * there. The app augments "BroadcastConnections" through this subpath
 * (config/broadcast.ts), which types "broadcast.use()".
 */
export type { Broadcastable } from './emitting/broadcast_event.ts'
export type { ConnectionOptions, ResolvedConnectionOptions } from './emitting/connection_options.ts'
export type {
  BroadcastDriver,
  BroadcastMessage,
  ClientEventsPolicy,
  DriverContext,
  PusherCredentials,
} from './drivers/types.ts'
export type { ConnectionFactory, ConnectionsList, DriverOf } from './connections.ts'
export type {
  BroadcastConfig,
  BroadcastConnections,
  InferConnections,
  ResolvedBroadcastConfig,
} from './define_config.ts'
export type { PoliciesConfig, ResolvedPoliciesConfig } from './policies/types.ts'
export type { AuthorizationConfig, ResolvedAuthorizationConfig } from './authorization/types.ts'
export type {
  IncomingWebhooksConfig,
  ResolvedIncomingWebhooksConfig,
} from './incoming_webhooks/types.ts'
export type { MetricsConfig, ResolvedMetricsConfig } from './metrics/types.ts'
export type { ConsoleConfig } from './console/types.ts'
