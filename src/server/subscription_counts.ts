import type { LifecycleReporter } from './lifecycle_reporter.ts'
import type { ChannelState } from './state/channel_state.ts'
import { channelKind } from './channel_rules.ts'
import { encodeFrame } from './protocol.ts'

/**
 * Above this many subscribers a channel's count is sent at most once per
 * BUSY_INTERVAL_MS, as Pusher does; below, each change is sent (changes of
 * one event-loop turn together)
 */
const BUSY_CHANNEL = 100
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
   * Channels with a count on its way, or sent recently while busy
   */
  #channels = new Map<string, { timer?: NodeJS.Timeout; sentAt: number; count: number }>()

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
  changed(channel: string) {
    if (channelKind(channel) === 'presence' || !this.#accepts(channel)) return
    let entry = this.#channels.get(channel)
    if (entry?.timer) return
    entry ??= { sentAt: 0, count: 0 }
    this.#channels.set(channel, entry)
    const wait = entry.count > BUSY_CHANNEL ? entry.sentAt + BUSY_INTERVAL_MS - Date.now() : 0
    entry.timer = setTimeout(() => void this.#send(channel), Math.max(0, wait)).unref()
  }

  async #send(channel: string) {
    const entry = this.#channels.get(channel)
    if (!entry) return
    entry.timer = undefined
    try {
      const { subscriptionCount } = await this.host.state.channel(channel)
      entry.sentAt = Date.now()
      entry.count = subscriptionCount
      if (subscriptionCount <= BUSY_CHANNEL && !entry.timer) this.#channels.delete(channel)
      const data = JSON.stringify({ subscription_count: subscriptionCount })
      this.host.relay(channel, encodeFrame('pusher_internal:subscription_count', data, channel))
      this.lifecycle.subscriptionCount(channel, subscriptionCount)
    } catch (error) {
      this.report(error, 'subscription count')
    }
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
