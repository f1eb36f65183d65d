import type { BroadcastManager } from './broadcast_manager.ts'

declare module '@adonisjs/core/types' {
  export interface ContainerBindings {
    broadcast: BroadcastManager
  }
}
