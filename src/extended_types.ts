import type { BroadcastManager } from './broadcast_manager.ts'
import type { PolicyService } from './policies/policy_service.ts'
import type { LifecycleEventsList } from './lifecycle_events.ts'
import type { BroadcastConnections } from './define_config.ts'
import type { ConnectionFactory, ConnectionsList } from './connections.ts'

/**
 * The app's connections once its config augments BroadcastConnections,
 * any name otherwise
 */
type KnownConnections = keyof BroadcastConnections extends never
  ? Record<string, ConnectionFactory>
  : BroadcastConnections extends ConnectionsList<BroadcastConnections>
    ? BroadcastConnections
    : never

/**
 * The "broadcast" service: the manager typed by the app's connections
 */
export interface BroadcastService extends BroadcastManager<KnownConnections> {}

declare module '@adonisjs/core/types' {
  export interface ContainerBindings {
    'broadcast': BroadcastService
    'broadcast.policies': PolicyService
  }

  /**
   * Channel lifecycle events ("broadcast:channel_occupied", ...), typed
   * for "emitter.on"
   */
  export interface EventsList extends LifecycleEventsList {}
}
