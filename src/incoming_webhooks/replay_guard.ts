import { E_WEBHOOK_OUTSIDE_WINDOW } from '../errors.ts'

/**
 * Default "incomingWebhooks.replayWindow": how far (ms) a batch's "time_ms"
 * may be from now, either way. Pusher retries a failed batch for 5 minutes.
 */
export const DEFAULT_REPLAY_WINDOW_MS = 5 * 60_000

/**
 * Default "incomingWebhooks.maxRemembered": signatures kept to spot a batch
 * received twice (about 150 bytes each)
 */
export const DEFAULT_MAX_REMEMBERED = 50_000

/**
 * Keeps a signed webhook from being used twice. A signature never expires,
 * so whoever saw a batch (a proxy's log, a receiver of ours signed with the
 * same secret) could post it again: a batch is refused once its "time_ms"
 * is outside the window, and one received again inside it is spotted by
 * its signature. The signatures are kept until their batch leaves the
 * window, at most "maxRemembered" of them (the oldest go first).
 */
export class ReplayGuard {
  /**
   * Signature -> when its batch leaves the window (ms), oldest first
   */
  #seen = new Map<string, number>()

  constructor(
    readonly windowMs: number,
    readonly maxRemembered: number
  ) {}

  /**
   * Whether the batch is new: false when its signature was seen inside the
   * window. Throws E_WEBHOOK_OUTSIDE_WINDOW (400) for a "time_ms" outside it.
   */
  admit(timeMs: number, signature: string, now = Date.now()): boolean {
    const age = now - timeMs
    if (!(Math.abs(age) <= this.windowMs)) {
      throw new E_WEBHOOK_OUTSIDE_WINDOW([
        // Rounded up: never "300 s, outside the 300 s window"
        Math.ceil(Math.abs(age) / 1000),
        age > 0 ? 'in the past' : 'in the future',
        Math.round(this.windowMs / 1000),
      ])
    }
    this.#forgetExpired(now)
    const key = signature.toLowerCase()
    if (this.#seen.has(key)) return false
    this.#seen.set(key, timeMs + this.windowMs)
    if (this.#seen.size > this.maxRemembered) {
      this.#seen.delete(this.#seen.keys().next().value!)
    }
    return true
  }

  /**
   * Signatures remembered now
   */
  get size() {
    return this.#seen.size
  }

  /**
   * From the oldest, until one is still inside the window. Batches arrive
   * roughly in "time_ms" order; one that stays a little longer is dropped
   * by the cap, and its batch is outside the window anyway.
   */
  #forgetExpired(now: number) {
    for (const [key, until] of this.#seen) {
      if (until > now) return
      this.#seen.delete(key)
    }
  }
}
