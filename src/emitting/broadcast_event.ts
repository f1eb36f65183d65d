import type { ChannelLike } from './channels.ts'
import type { TransactionLike } from './transaction.ts'
import { captureSenderSocket, forgetSenderSocket } from './to_others.ts'

/**
 * What any broadcastable event implements. A class extending
 * BroadcastEvent gets sensible defaults; any other class (an AdonisJS class
 * event, say) only needs "broadcastOn".
 */
export interface Broadcastable {
  /**
   * The channel, or channels, the event goes to
   */
  broadcastOn(): ChannelLike | ChannelLike[]

  /**
   * The event name on the wire. Default: the class name
   */
  broadcastAs?(): string

  /**
   * The payload. Default: the event's own enumerable data fields
   */
  broadcastWith?(): Record<string, unknown> | unknown[]

  /**
   * Return false to skip broadcasting this event
   */
  broadcastWhen?(): boolean

  /**
   * Return true to send only once the Lucid transaction the event was
   * emitted in commits (a transaction, or a model saved through one, in
   * one of its fields), and never if it rolls back
   */
  broadcastAfterCommit?(): boolean

  /**
   * The Lucid transaction to wait for (after commit, as above), for an
   * event that holds it where the search of its own fields does not look;
   * null or undefined: there is none, send now
   */
  broadcastTransaction?(): TransactionLike | null | undefined

  /**
   * Send through "@adonisjs/queue": true for the queue's default queue, a
   * name for another one, false to send inline whatever the connection's
   * "queue" option says
   */
  broadcastQueue?(): boolean | string

  /**
   * Return true to leave out the socket of the request that dispatched
   * the event (its X-Socket-ID header), also when it is sent later, from
   * a queue worker or after a commit: "toOthers()" for events that reach
   * broadcasting on their own
   */
  broadcastToOthers?(): boolean
}

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

  /**
   * Leave out the socket of the current request (its X-Socket-ID header),
   * taken now, wherever and whenever the event is sent (Laravel's
   * InteractsWithSockets)
   *
   * @example
   * await emitter.emit(MessagePosted, new MessagePosted(message).dontBroadcastToCurrentUser())
   */
  dontBroadcastToCurrentUser(): this {
    captureSenderSocket(this)
    return this
  }

  /**
   * Undo "dontBroadcastToCurrentUser()": every socket receives the event
   */
  broadcastToEveryone(): this {
    forgetSenderSocket(this)
    return this
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
