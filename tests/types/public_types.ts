/**
 * Checked by "npm run typecheck", never run: every type apps import from
 * "adonisjs-broadcasting/types" is there, and the app's augmentation of
 * "BroadcastConnections" (config/broadcast.ts) reaches the "broadcast"
 * service, whose connection names it types.
 */
import type broadcast from 'adonisjs-broadcasting/services/main'
import type { LocalDriver } from 'adonisjs-broadcasting'
import type {
  AuthorizationConfig,
  Broadcastable,
  BroadcastConfig,
  BroadcastConnections,
  BroadcastDriver,
  BroadcastMessage,
  ClientEventsPolicy,
  ConnectionFactory,
  ConnectionOptions,
  ConnectionsList,
  ConsoleConfig,
  DriverContext,
  DriverOf,
  IncomingWebhooksConfig,
  InferConnections,
  MetricsConfig,
  PoliciesConfig,
  PusherCredentials,
  ResolvedAuthorizationConfig,
  ResolvedBroadcastConfig,
  ResolvedConnectionOptions,
  ResolvedIncomingWebhooksConfig,
  ResolvedMetricsConfig,
  ResolvedPoliciesConfig,
} from 'adonisjs-broadcasting/types'
import type broadcastConfig from '#config/broadcast'

export type PublicTypes = [
  AuthorizationConfig,
  Broadcastable,
  BroadcastConfig<BroadcastConnections>,
  BroadcastConnections,
  BroadcastDriver,
  BroadcastMessage,
  ClientEventsPolicy,
  ConnectionFactory,
  ConnectionOptions,
  ConnectionsList<BroadcastConnections>,
  ConsoleConfig,
  DriverContext,
  DriverOf<BroadcastConnections['local']>,
  IncomingWebhooksConfig,
  InferConnections<typeof broadcastConfig>,
  MetricsConfig,
  PoliciesConfig,
  PusherCredentials,
  ResolvedAuthorizationConfig,
  ResolvedBroadcastConfig,
  ResolvedConnectionOptions,
  ResolvedIncomingWebhooksConfig,
  ResolvedMetricsConfig,
  ResolvedPoliciesConfig,
]

export function connectionNames(service: typeof broadcast) {
  const local: LocalDriver = service.driver('local')
  // @ts-expect-error "nope" is not a connection of config/broadcast.ts
  service.use('nope')
  return local
}
