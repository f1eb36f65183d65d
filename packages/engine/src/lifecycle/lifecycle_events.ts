/**
 * The lifecycle of channels, as Pusher reports it in webhooks. The same
 * objects are emitted on the app's emitter ("broadcast:<name>"), sent as
 * outgoing webhooks by the embedded server, and read from Pusher's
 * incoming webhooks, so an app's listeners work whichever server is used.
 */
export type LifecycleEvent =
  | ChannelOccupied
  | ChannelVacated
  | MemberAdded
  | MemberRemoved
  | ClientEvent
  | CacheMiss
  | SubscriptionCount

/**
 * A channel got its first subscriber (on any node)
 */
export interface ChannelOccupied {
  name: 'channel_occupied'
  channel: string
}

/**
 * A channel lost its last subscriber (on every node)
 */
export interface ChannelVacated {
  name: 'channel_vacated'
  channel: string
}

/**
 * A user got its first connection in a presence channel
 */
export interface MemberAdded {
  name: 'member_added'
  channel: string
  user_id: string
}

/**
 * A user's last connection left a presence channel
 */
export interface MemberRemoved {
  name: 'member_removed'
  channel: string
  user_id: string
}

/**
 * A client event relayed on a private or presence channel. "user_id" is
 * the sender's on presence channels only.
 */
export interface ClientEvent {
  name: 'client_event'
  channel: string
  event: string
  data: string
  socket_id: string
  user_id?: string
}

/**
 * A client subscribed to a cache channel that had no cached event
 */
export interface CacheMiss {
  name: 'cache_miss'
  channel: string
}

/**
 * The number of subscriptions of a channel changed
 */
export interface SubscriptionCount {
  name: 'subscription_count'
  channel: string
  subscription_count: number
}

export type LifecycleEventName = LifecycleEvent['name']

export const LIFECYCLE_EVENT_NAMES: readonly LifecycleEventName[] = [
  'channel_occupied',
  'channel_vacated',
  'member_added',
  'member_removed',
  'client_event',
  'cache_miss',
  'subscription_count',
]

/**
 * Receives lifecycle events (the emitter, outgoing webhooks)
 */
export type LifecycleListener = (event: LifecycleEvent) => void

/**
 * The part of a server's events hub (a ServerEvents) that lifecycle events
 * are told on and listened to
 */
export interface LifecycleHub {
  /**
   * Whether anyone listens: while nobody does, no event need be made
   */
  has(name: 'lifecycle'): boolean
  emit(name: 'lifecycle', event: LifecycleEvent): void
  on(name: 'lifecycle', listener: LifecycleListener): () => void
}
