import type { CachedFrame } from './channel_state.ts'

export interface EventCacheLimits {
  /**
   * Channels with a cached event; past it the oldest is evicted
   */
  maxEntries: number
  /**
   * Bytes of cached frames and channel names; past it the oldest are evicted
   */
  maxBytes: number
}

/**
 * Expired entries removed per sweep slice, so a sweep never blocks the
 * event loop for long; the rest go in the next slice
 */
const SWEEP_BUDGET = 5000

/**
 * Sweeps run at most this often, however close the next expiry is
 */
const MIN_SWEEP_INTERVAL_MS = 250

/**
 * The last event of each cache channel, bounded by count and bytes. Nothing
 * waits for a later subscribe to free an expired entry: a timer fires when
 * the oldest entry expires.
 *
 * Entries stay in write order (a Map keeps insertion order and a rewrite
 * re-inserts), so the oldest is evicted first and, with one TTL for all
 * channels, also expires first: a sweep stops at the first fresh entry. An
 * entry with a shorter TTL than older ones waits for them, and is never
 * served once expired.
 */
export class EventCache {
  #entries = new Map<string, CachedFrame>()
  #bytes = 0
  #timer?: NodeJS.Timeout

  constructor(protected limits: EventCacheLimits) {}

  /**
   * Channels with a cached event (expired ones not yet swept included)
   */
  get size() {
    return this.#entries.size
  }

  /**
   * Bytes held, as counted against "maxBytes"
   */
  get bytes() {
    return this.#bytes
  }

  set(channel: string, frame: string, ttlMs: number, now = Date.now()) {
    this.#delete(channel)
    const size = entrySize(channel, frame)
    // Too large to keep at all: the older event it replaces is gone too
    if (ttlMs <= 0 || size > this.limits.maxBytes || this.limits.maxEntries < 1) return

    this.#entries.set(channel, { frame, expiresAt: now + ttlMs })
    this.#bytes += size
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.limits.maxEntries && this.#bytes <= this.limits.maxBytes) {
        break
      }
      this.#delete(oldest)
    }
    this.#schedule(now)
  }

  /**
   * The channel's event while fresh
   */
  get(channel: string, now = Date.now()): CachedFrame | undefined {
    const entry = this.#entries.get(channel)
    if (!entry) return undefined
    if (entry.expiresAt > now) return entry
    this.#delete(channel)
    return undefined
  }

  /**
   * Removes expired entries from the oldest on, at most "budget" of them.
   * Returns how many were removed.
   */
  sweep(now = Date.now(), budget = SWEEP_BUDGET) {
    let removed = 0
    for (const [channel, entry] of this.#entries) {
      if (entry.expiresAt > now || removed >= budget) break
      this.#delete(channel)
      removed++
    }
    return removed
  }

  clear() {
    this.#entries.clear()
    this.#bytes = 0
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #delete(channel: string) {
    const entry = this.#entries.get(channel)
    if (!entry) return
    this.#entries.delete(channel)
    this.#bytes -= entrySize(channel, entry.frame)
  }

  /**
   * One timer at a time, for the oldest entry's expiry. Unref'd: a cache
   * never keeps the process alive.
   */
  #schedule(now = Date.now()) {
    if (this.#timer) return
    const oldest = this.#entries.values().next().value
    if (!oldest) return
    const delay = Math.max(oldest.expiresAt - now, MIN_SWEEP_INTERVAL_MS)
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.sweep()
      this.#schedule()
    }, delay).unref()
  }
}

/**
 * What an entry counts against "maxBytes": the frame's UTF-8 bytes and
 * the channel name
 */
function entrySize(channel: string, frame: string) {
  return Buffer.byteLength(frame) + channel.length
}
