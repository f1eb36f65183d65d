import type { ClientEvent, LifecycleEvent, LifecycleHub } from './lifecycle_events.ts'
import type { ChannelState, JoinResult, LeaveResult } from '../state/channel_state.ts'
import { ONLINE_CHANNEL_PREFIX, USER_CHANNEL_PREFIX } from '../channel_name.ts'

/**
 * How long a "cache_miss" is not reported again for the same channel:
 * many clients reconnecting to an empty cache make one event, as on Pusher
 */
const CACHE_MISS_WINDOW_MS = 1000

/**
 * A user's own channel ("#server-to-user-<id>", which pusher-js joins
 * after a sign-in) is the server's plumbing: Pusher reports none of it
 */
function reported(channel: string) {
  return !channel.startsWith(USER_CHANNEL_PREFIX) && !channel.startsWith(ONLINE_CHANNEL_PREFIX)
}

/**
 * A user's signed-in sockets ("#online-<id>", the watchlists'): no
 * lifecycle event either, but its member's removal waits the delay as a
 * presence member's does, so a page reload makes no offline and online
 */
function online(channel: string) {
  return channel.startsWith(ONLINE_CHANNEL_PREFIX)
}

/**
 * A vacancy or removal waiting for its delay
 */
interface HeldLeave {
  timer: NodeJS.Timeout
  confirm(): Promise<void>
  settled: Promise<void>
}

export interface LifecycleReporterOptions {
  /**
   * Where every event goes ("lifecycle"); while nobody listens there,
   * nothing is reported and no leave is held
   */
  events: LifecycleHub
  /**
   * How long "channel_vacated" and "member_removed" wait for a join to
   * take them back, in ms
   */
  leaveDelayMs: number
  /**
   * Leaves held at once, at most: past it a leave is confirmed at once,
   * so a client churning through channels cannot pile up timers.
   * Default: 50 000
   */
  maxHeldLeaves?: number
  /**
   * Told when a member's removal stands (at once, or once its delay is
   * over): the channel's clients get "member_removed" then, so a page
   * reload makes no leave and return for them either
   */
  onMemberRemoved?(channel: string, userId: string): void
  /**
   * Where a failing listener or state call is reported
   */
  report(error: unknown, where: string): void
}

/**
 * Turns the cluster state's decisions into lifecycle events and
 * "member_removed" frames, each once for the cluster, on the node whose
 * join or leave decided it. A vacancy or a member's removal waits
 * "leaveDelayMs" and is dropped when a join took it back meanwhile, with
 * the join's own event: a page reload makes none.
 */
export class LifecycleReporter {
  #events: LifecycleHub
  #delayMs: number
  #report: LifecycleReporterOptions['report']
  #onMemberRemoved: LifecycleReporterOptions['onMemberRemoved']
  #held = new Set<HeldLeave>()
  #maxHeld: number
  #recentMisses = new Set<string>()
  #missesTimer?: NodeJS.Timeout

  constructor(options: LifecycleReporterOptions) {
    this.#events = options.events
    this.#delayMs = Math.max(0, options.leaveDelayMs)
    this.#report = options.report
    this.#onMemberRemoved = options.onMemberRemoved
    this.#maxHeld = options.maxHeldLeaves ?? 50_000
  }

  get enabled() {
    return this.#events.has('lifecycle')
  }

  /**
   * How long the leaves of a dead node are held once reaped: only when
   * someone listens. Its clients had "nodeTimeout" to come back already,
   * so its members' frames need no further wait.
   */
  get leaveDelayMs() {
    return this.enabled ? this.#delayMs : 0
  }

  /**
   * The same for one channel: a member's removal always (its frame waits
   * too), a vacancy only when someone listens
   */
  leaveDelayFor(channel: string) {
    if (online(channel)) return this.#delayMs
    if (!reported(channel)) return 0
    return this.enabled || channel.startsWith('presence-') ? this.#delayMs : 0
  }

  joined(channel: string, result: JoinResult, userId?: string) {
    if (!reported(channel)) return
    if (result.occupied && !result.vacancyCancelled) {
      this.#emit({ name: 'channel_occupied', channel })
    }
    if (userId !== undefined && result.memberAdded && !result.removalCancelled) {
      this.#emit({ name: 'member_added', channel, user_id: userId })
    }
  }

  /**
   * A leave of this node (or of a dead node it reaped). Held ones are
   * confirmed against the state once the delay is over.
   */
  left(state: ChannelState, channel: string, result: LeaveResult) {
    if (!reported(channel) && !online(channel)) return
    const userId = result.memberRemoved
    if (result.pending === undefined) {
      if (result.vacated && reported(channel)) this.#emit({ name: 'channel_vacated', channel })
      if (userId !== undefined) this.#memberRemoved(channel, userId)
      return
    }
    const token = result.pending
    let settle!: () => void
    const held: HeldLeave = {
      settled: new Promise<void>((resolve) => (settle = resolve)),
      timer: setTimeout(() => void held.confirm(), this.#delayMs).unref(),
      confirm: async () => {
        clearTimeout(held.timer)
        if (!this.#held.delete(held)) return held.settled
        try {
          const confirmed = await state.confirmLeave(channel, token, userId)
          if (confirmed.vacated && reported(channel)) {
            this.#emit({ name: 'channel_vacated', channel })
          }
          if (confirmed.memberRemoved && userId !== undefined) this.#memberRemoved(channel, userId)
        } catch (error) {
          this.#report(error, 'confirming a leave')
        } finally {
          settle()
        }
      },
    }
    this.#held.add(held)
    if (this.#held.size > this.#maxHeld) void held.confirm()
  }

  clientEvent(event: Omit<ClientEvent, 'name'>) {
    this.#emit({ name: 'client_event', ...event })
  }

  cacheMiss(channel: string) {
    if (!this.enabled || this.#recentMisses.has(channel)) return
    this.#recentMisses.add(channel)
    this.#missesTimer ??= setTimeout(() => {
      this.#recentMisses.clear()
      this.#missesTimer = undefined
    }, CACHE_MISS_WINDOW_MS).unref()
    this.#emit({ name: 'cache_miss', channel })
  }

  subscriptionCount(channel: string, count: number) {
    this.#emit({ name: 'subscription_count', channel, subscription_count: count })
  }

  /**
   * Settles every held leave: at once ("now", nobody can come back), or
   * when its delay is over (a node of a shared cluster closing: its
   * clients reconnect to the others and take their leaves back)
   */
  async settle(when: 'now' | 'after-delay') {
    const held = [...this.#held]
    await Promise.all(held.map((leave) => (when === 'now' ? leave.confirm() : leave.settled)))
  }

  #memberRemoved(channel: string, userId: string) {
    try {
      this.#onMemberRemoved?.(channel, userId)
    } catch (error) {
      this.#report(error, 'member_removed')
    }
    if (reported(channel)) this.#emit({ name: 'member_removed', channel, user_id: userId })
  }

  #emit(event: LifecycleEvent) {
    this.#events.emit('lifecycle', event)
  }
}
