import debug from './debug.ts'
import type { LifecycleEvent } from './lifecycle/lifecycle_events.ts'
import type { ServingNode } from './server_view.ts'

/**
 * What a client event came to: sent on, refused (not subscribed, not
 * allowed, bad name) or over a rate limit
 */
export type ClientEventOutcome = 'relayed' | 'refused' | 'rate_limited'

/**
 * Everything a server tells its listeners, by name. The counting events
 * ("received", "delivered", ...) fire on hot paths: their listeners must
 * be O(1) and allocate nothing.
 */
export interface ServerEventMap {
  /**
   * A node started on this hub (every start is a new node id): what
   * gauges, consoles and health checks read
   */
  started: [node: ServingNode]
  /**
   * A channel lifecycle event ("channel_occupied", ...), once for the
   * cluster. While nobody listens, none is made and no leave is held.
   */
  lifecycle: [event: LifecycleEvent]
  /**
   * An event published from this node
   */
  published: [channels: string[], event: string, data: string]
  /**
   * A frame read from a client
   */
  received: [bytes: number]
  /**
   * A frame published to "recipients" sockets of this node
   */
  delivered: [recipients: number, frameBytes: number]
  clientEvent: [outcome: ClientEventOutcome]
  /**
   * A socket closed with 4100 because it did not read fast enough
   */
  slowConsumerDropped: []
  /**
   * A Pusher HTTP API request answered; "endpoint" is one of a fixed set
   */
  apiRequest: [endpoint: string, status: number]
  /**
   * A message published on the Redis bus, and how long it took
   */
  busPublished: [seconds: number]
  /**
   * A message read off the Redis bus (this node's own coming back
   * included): routing by interest keeps these to the channels it serves
   */
  busReceived: [bytes: number]
  busReconnected: []
}

type EventMap<Events> = { [Name in keyof Events]: unknown[] }
type Listener<Args extends unknown[]> = (...args: Args) => void

/**
 * A typed event emitter whose listeners cannot break the emitter: what
 * one throws is reported and the others still run. Listing an event's
 * listeners is one property read, so an event nobody listens to costs
 * nothing ("has" lets a caller skip measuring it).
 */
export class EventHub<Events extends EventMap<Events>> {
  #listeners: { [Name in keyof Events]?: Listener<Events[Name]>[] } = {}
  #report: (error: unknown, name: string) => void

  /**
   * "report" receives what a listener threw. Default: NODE_DEBUG output
   */
  constructor(report?: (error: unknown, name: string) => void) {
    this.#report = report ?? ((error, name) => debug('a "%s" listener failed: %O', name, error))
  }

  /**
   * Calls "listener" on every "name" event; returns what stops it
   */
  on<Name extends keyof Events>(name: Name, listener: Listener<Events[Name]>): () => void {
    // A new array: an emit in progress keeps the list it started with
    this.#listeners[name] = [...(this.#listeners[name] ?? []), listener]
    return () => {
      const left = this.#listeners[name]?.filter((known) => known !== listener)
      if (left?.length) this.#listeners[name] = left
      else delete this.#listeners[name]
    }
  }

  /**
   * Whether anyone listens to "name"
   */
  has(name: keyof Events): boolean {
    return this.#listeners[name] !== undefined
  }

  emit<Name extends keyof Events>(name: Name, ...args: Events[Name]): void {
    const listeners = this.#listeners[name]
    if (!listeners) return
    for (const listener of listeners) {
      try {
        listener(...args)
      } catch (error) {
        this.#report(error, String(name))
      }
    }
  }
}

/**
 * The events hub of one server, or of several sharing their listeners
 * (the AdonisJS package gives every connection the app's one)
 */
export class ServerEvents extends EventHub<ServerEventMap> {}
