import type { EmitterService } from '@adonisjs/core/types'
import type { Broadcastable } from '../broadcast_event.ts'

/**
 * What the dispatch listener needs of the broadcast service
 */
export interface DispatchTarget {
  config: { broadcastOnDispatch: boolean }
  dispatched(event: Broadcastable): Promise<void>
}

/**
 * Whether an object emitted on the emitter can be broadcast
 */
export function isBroadcastable(value: unknown): value is Broadcastable {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Broadcastable).broadcastOn === 'function'
  )
}

/**
 * Broadcasts every class event that is Broadcastable when it is dispatched
 * ("Event.dispatch()" or "emitter.emit(Event, event)"), with no listener to
 * write. One "onAny" listener for the whole app; the emitter names class
 * events with a symbol, so events emitted under a string name (lifecycle
 * events, "user:registered") are left alone.
 *
 * A failure follows the connection's "onFailure": "report" logs it,
 * "throw" rejects like any failing listener (the emitter's "onError", or
 * the dispatch call). The emitter runs its other listeners all the same.
 */
export function broadcastOnDispatch(
  emitter: Pick<EmitterService, 'onAny'>,
  target: () => Promise<DispatchTarget>
) {
  return emitter.onAny(async (name: unknown, data: unknown) => {
    if (typeof name !== 'symbol' || !isBroadcastable(data)) return
    const broadcast = await target()
    if (!broadcast.config.broadcastOnDispatch) return
    await broadcast.dispatched(data)
  })
}
