import type { ChannelLike } from './channels.ts'
import type { Broadcastable } from '../types.ts'

/**
 * Base class for broadcast events. The wire name is the class name and the
 * payload is the event's own enumerable fields, unless overridden.
 *
 * @example
 * export default class UserAdded extends BroadcastEvent {
 *   constructor(public user: { id: number; name: string }) { super() }
 *   broadcastOn() { return new Channel('users') }
 * }
 */
export abstract class BroadcastEvent implements Broadcastable {
  abstract broadcastOn(): ChannelLike | ChannelLike[]

  broadcastAs(): string {
    return this.constructor.name
  }

  broadcastWith(): Record<string, unknown> {
    return { ...this } as Record<string, unknown>
  }

  broadcastWhen(): boolean {
    return true
  }
}

/**
 * The wire name of any broadcastable: "broadcastAs()" or its class name
 */
export function eventName(event: Broadcastable): string {
  return typeof event.broadcastAs === 'function' ? event.broadcastAs() : event.constructor.name
}

/**
 * The payload of any broadcastable: "broadcastWith()" or its own
 * enumerable data fields (functions left out)
 */
export function eventPayload(event: Broadcastable): unknown {
  if (typeof event.broadcastWith === 'function') {
    return event.broadcastWith()
  }
  return Object.fromEntries(
    Object.entries(event).filter(([, value]) => typeof value !== 'function')
  )
}

/**
 * Whether an event should go out at all
 */
export function shouldBroadcast(event: Broadcastable): boolean {
  return typeof event.broadcastWhen === 'function' ? event.broadcastWhen() !== false : true
}
