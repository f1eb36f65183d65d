import type { LifecycleEvent, LifecycleEventName } from '@adonisjs-broadcasting/engine'

/**
 * The events on the app's emitter, one per lifecycle event
 */
export type LifecycleEventsList = {
  [Name in LifecycleEventName as `broadcast:${Name}`]: Extract<LifecycleEvent, { name: Name }>
}

/**
 * What emitting needs of the app's emitter
 */
export interface LifecycleEmitter {
  emit(event: string, data: unknown): Promise<void> | void
}

/**
 * Emits a lifecycle event on the app's emitter as "broadcast:<name>". A
 * listener that fails is the emitter's to report (its error handler), never
 * the caller's.
 */
export function emitLifecycleEvent(emitter: LifecycleEmitter, event: LifecycleEvent) {
  return emitter.emit(`broadcast:${event.name}`, event)
}
