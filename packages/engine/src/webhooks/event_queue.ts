import type { LifecycleEvent } from '../lifecycle/lifecycle_events.ts'

/**
 * The events waiting for one target, oldest first, and about what they
 * weigh. A "channel_vacated" may cancel its channel's "channel_occupied"
 * still queued, so both go: a client churning through channels while the
 * target is slow must not push real events out with pairs that say
 * nothing.
 */
export class EventQueue {
  #events: LifecycleEvent[] = []
  #bytes = 0
  /**
   * Queued "channel_occupied" events by channel, and the ones cancelled
   * (still in the queue, skipped when taken)
   */
  #occupied = new Map<string, LifecycleEvent>()
  #cancelled = new WeakSet<LifecycleEvent>()
  #cancelledCount = 0

  /**
   * Entries, the cancelled ones included: whether there is anything to
   * take, and how much of a batch
   */
  get entries() {
    return this.#events.length
  }

  /**
   * Events waiting, the cancelled ones not counted
   */
  get size() {
    return this.#events.length - this.#cancelledCount
  }

  /**
   * What the waiting events weigh
   */
  get bytes() {
    return this.#bytes
  }

  add(event: LifecycleEvent) {
    if (event.name === 'channel_occupied') this.#occupied.set(event.channel, event)
    this.#events.push(event)
    this.#bytes += sizeOf(event)
  }

  /**
   * The channel's "channel_occupied" is still queued: it is cancelled, and
   * true says the "channel_vacated" goes with it
   */
  cancelOccupied(channel: string) {
    const occupied = this.#occupied.get(channel)
    if (!occupied) return false
    this.#occupied.delete(channel)
    this.#cancelled.add(occupied)
    this.#cancelledCount++
    this.#bytes -= sizeOf(occupied)
    return true
  }

  /**
   * Takes up to "count" entries off the front, without the cancelled ones
   */
  take(count: number) {
    const taken: LifecycleEvent[] = []
    for (const event of this.#events.splice(0, count)) {
      if (this.#cancelled.has(event)) {
        this.#cancelledCount--
        continue
      }
      if (this.#occupied.get(event.channel) === event) this.#occupied.delete(event.channel)
      this.#bytes -= sizeOf(event)
      taken.push(event)
    }
    return taken
  }

  clear() {
    this.#events = []
    this.#bytes = 0
    this.#cancelledCount = 0
    this.#occupied.clear()
  }
}

/**
 * About what an event weighs in the queue: its strings, which a client
 * event's data dominates
 */
function sizeOf(event: LifecycleEvent) {
  return 64 + event.channel.length + ('data' in event ? event.data.length : 0)
}
