import type { LifecycleReporter } from '../lifecycle/lifecycle_reporter.ts'
import type { ChannelState } from '../state/channel_state.ts'
import { channelType, ONLINE_CHANNEL_PREFIX } from '../channel_name.ts'
import { encodeFrame } from '../protocol.ts'

/**
 * A channel's count is sent at most once per interval: every
 * QUIET_INTERVAL_MS, or BUSY_INTERVAL_MS above BUSY_CHANNEL subscribers, as
 * Pusher does. The first change is sent at once, the changes within an
 * interval together at its end, and a count that came back to the one
 * last sent only when someone joined meanwhile (a newcomer has no count
 * yet): a client re-subscribing in a loop costs the channel's other
 * clients at most one frame per interval.
 */
const BUSY_CHANNEL = 100
const QUIET_INTERVAL_MS = 1000
const BUSY_INTERVAL_MS = 5000

/**
 * Which channels get "pusher_internal:subscription_count": all, none, or
 * those a function accepts. Presence channels never do (they have members).
 */
export type SubscriptionCountOption = boolean | ((channel: string) => boolean)

export interface SubscriptionCountsHost {
  readonly state: ChannelState
  relay(channel: string, frame: string): void
}

/**
 * Sends a channel's subscription count, for the whole cluster, to its
 * subscribers ("pusher:subscription_count" in pusher-js) and as the
 * "subscription_count" lifecycle event, after each change, throttled
 */
export class SubscriptionCounts {
  #enabled: (channel: string) => boolean
  /**
   * Channels with a change to send or within an interval after a send:
   * the count last sent, and whether it changed since
   */
  #channels = new Map<
    string,
    { timer?: NodeJS.Timeout; sent?: number; changed: boolean; joined: boolean }
  >()

  constructor(
    option: SubscriptionCountOption | undefined,
    protected host: SubscriptionCountsHost,
    protected lifecycle: LifecycleReporter,
    protected report: (error: unknown, where: string) => void
  ) {
    this.#enabled = typeof option === 'function' ? option : () => option === true
  }

  /**
   * A subscription joined or left the channel on this node
   */
  changed(channel: string, joined = false) {
    if (channelType(channel) === 'presence' || channel.startsWith(ONLINE_CHANNEL_PREFIX)) return
    if (!this.#accepts(channel)) return
    let entry = this.#channels.get(channel)
    if (!entry) {
      entry = { changed: false, joined: false }
      this.#channels.set(channel, entry)
    }
    entry.changed = true
    if (joined) entry.joined = true
    // Changes of one event-loop turn together; later ones wait for the interval
    entry.timer ??= setTimeout(() => void this.#flush(channel), 0).unref()
  }

  /**
   * Sends the count if it changed, then holds the channel for an interval;
   * an interval without a change forgets it
   */
  async #flush(channel: string) {
    const entry = this.#channels.get(channel)
    if (!entry) return
    if (!entry.changed) {
      this.#channels.delete(channel)
      return
    }
    const joined = entry.joined
    entry.changed = false
    entry.joined = false
    let interval = QUIET_INTERVAL_MS
    try {
      const { subscriptionCount } = await this.host.state.channel(channel)
      if (subscriptionCount > BUSY_CHANNEL) interval = BUSY_INTERVAL_MS
      if (subscriptionCount !== entry.sent || joined) {
        entry.sent = subscriptionCount
        const data = JSON.stringify({ subscription_count: subscriptionCount })
        this.host.relay(channel, encodeFrame('pusher_internal:subscription_count', data, channel))
        this.lifecycle.subscriptionCount(channel, subscriptionCount)
      }
    } catch (error) {
      this.report(error, 'subscription count')
    }
    // Closed meanwhile: nothing more is sent
    if (this.#channels.get(channel) !== entry) return
    entry.timer = setTimeout(() => void this.#flush(channel), interval).unref()
  }

  #accepts(channel: string) {
    try {
      return this.#enabled(channel)
    } catch (error) {
      this.report(error, 'subscriptionCount option')
      return false
    }
  }

  close() {
    for (const entry of this.#channels.values()) clearTimeout(entry.timer)
    this.#channels.clear()
  }
}
