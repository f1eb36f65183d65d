import type { ChannelState, PresenceMember } from '../state/channel_state.ts'

/**
 * What a socket holds of each of its subscriptions (a Subscription, which
 * adds, lists and removes itself here)
 */
export interface HeldSubscription {
  readonly channel: string
  /**
   * The presence member it joined as (kept whole: after the shared state
   * lost it, the node joins again)
   */
  readonly member: PresenceMember | null
  /**
   * The user it counts under for the per-user limits (presence: the
   * member id; private: the signed-in user)
   */
  readonly countedAs?: string
  /**
   * Gives back all it holds; once
   */
  release(): Promise<void>
  /**
   * Joins the channel state again, which lost this node
   */
  rejoin(state: ChannelState): Promise<unknown>
}

/**
 * What an unused map reads as
 */
const NONE: ReadonlyMap<any, any> = new Map()

/**
 * One socket's subscriptions by channel: those being authorized, and those
 * subscribed, which are its channels. A channel has one entry at most: the
 * last subscribe or unsubscribe of a channel replaces or drops it, so the
 * last message about a channel wins.
 */
export class SocketSubscriptions {
  /*
   * Made on first use, and those being authorized dropped when none is
   * left: an idle connection should cost little more than its socket. A
   * socket subscribed to one channel holds it alone, without a map.
   */
  #authorizing?: Map<string, HeldSubscription>
  #subscribed?: HeldSubscription | Map<string, HeldSubscription>

  /**
   * Subscribed channels, in the order they were (a map made for the
   * caller when there is one)
   */
  get channels(): ReadonlyMap<string, HeldSubscription> {
    const subscribed = this.#subscribed
    if (subscribed === undefined) return NONE
    if (subscribed instanceof Map) return subscribed
    return new Map([[subscribed.channel, subscribed]])
  }

  /**
   * Those being authorized
   */
  get authorizing(): Iterable<HeldSubscription> {
    return this.#authorizing?.values() ?? []
  }

  /**
   * Being authorized or subscribed: what the per-socket channel limit
   * counts
   */
  get size() {
    return (this.#authorizing?.size ?? 0) + this.#subscribedCount()
  }

  get(channel: string) {
    return this.subscribed(channel) ?? this.#authorizing?.get(channel)
  }

  has(channel: string) {
    return this.get(channel) !== undefined
  }

  /**
   * The subscription of a channel the socket is subscribed to
   */
  subscribed(channel: string): HeldSubscription | undefined {
    const subscribed = this.#subscribed
    if (subscribed === undefined) return undefined
    if (subscribed instanceof Map) return subscribed.get(channel)
    return subscribed.channel === channel ? subscribed : undefined
  }

  /**
   * A subscription being authorized takes the channel's entry
   */
  add(subscription: HeldSubscription) {
    ;(this.#authorizing ??= new Map()).set(subscription.channel, subscription)
  }

  /**
   * The subscription is authorized: the channel is one of the socket's
   */
  list(subscription: HeldSubscription) {
    this.#unlistAuthorizing(subscription)
    const subscribed = this.#subscribed
    const { channel } = subscription
    if (
      subscribed === undefined ||
      (!(subscribed instanceof Map) && subscribed.channel === channel)
    ) {
      this.#subscribed = subscription
    } else if (subscribed instanceof Map) {
      subscribed.set(channel, subscription)
    } else {
      this.#subscribed = new Map([
        [subscribed.channel, subscribed],
        [channel, subscription],
      ])
    }
  }

  /**
   * Drops the channel's entry if it is still this subscription's (a later
   * subscribe may have taken it)
   */
  remove(subscription: HeldSubscription) {
    const subscribed = this.#subscribed
    if (subscribed === subscription) this.#subscribed = undefined
    else if (subscribed instanceof Map && subscribed.get(subscription.channel) === subscription) {
      subscribed.delete(subscription.channel)
    } else this.#unlistAuthorizing(subscription)
  }

  #subscribedCount() {
    const subscribed = this.#subscribed
    if (subscribed === undefined) return 0
    return subscribed instanceof Map ? subscribed.size : 1
  }

  #unlistAuthorizing(subscription: HeldSubscription) {
    const { channel } = subscription
    if (this.#authorizing?.get(channel) !== subscription) return
    this.#authorizing.delete(channel)
    if (this.#authorizing.size === 0) this.#authorizing = undefined
  }
}
