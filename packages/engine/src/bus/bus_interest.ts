import { Refusal } from '../refusal.ts'
import {
  batch,
  BUS_INTEREST_DEFAULTS,
  inCommands,
  type Batch,
  type BusInterestOptions,
  type ChannelInterest,
  type Entry,
  type InterestTransport,
} from './channel_interest.ts'

/**
 * The channels one node receives from its bus. Their first local holder
 * subscribes them; the subscribes and unsubscribes of one event-loop turn
 * go out as one command each, one round at a time (what comes meanwhile
 * waits for the next round, merged: a channel left and taken back costs
 * nothing); a channel that emptied lingers before it is unsubscribed. Both
 * sets an outsider can grow are bounded: lingering channels (the oldest
 * goes) and pending changes (a new channel is refused).
 */
export class BusInterest implements ChannelInterest {
  readonly linger: number
  readonly maxLingering: number
  readonly maxPending: number
  /**
   * Commands sent, for tests and benchmarks
   */
  readonly commands = { subscribe: 0, unsubscribe: 0 }

  #transport: InterestTransport
  #report: (error: unknown, where: string) => void
  #entries = new Map<string, Entry>()
  /**
   * Emptied channels, oldest first, with the time they go
   */
  #lingering = new Map<string, number>()
  #lingerTimer?: NodeJS.Timeout
  /**
   * Channels whose subscription may differ from what was sent
   */
  #dirty = new Set<string>()
  #next?: Batch
  #scheduled = false
  /**
   * Channel changes of the round in flight
   */
  #inFlight = 0
  #closed = false

  constructor(
    transport: InterestTransport,
    options: BusInterestOptions = {},
    report: (error: unknown, where: string) => void = () => {}
  ) {
    this.#transport = transport
    this.#report = report
    this.linger = options.linger ?? BUS_INTEREST_DEFAULTS.linger
    this.maxLingering = options.maxLingering ?? BUS_INTEREST_DEFAULTS.maxLingering
    this.maxPending = options.maxPending ?? BUS_INTEREST_DEFAULTS.maxPending
  }

  /**
   * One more local reason to receive the channel. The first subscribes it
   * (or keeps it, lingering). Synchronous: ready() says when its messages
   * flow.
   */
  hold(channel: string) {
    if (this.#closed) return
    const entry = this.#entries.get(channel)
    if (entry) {
      if (entry.holds++ === 0) this.#lingering.delete(channel)
      return
    }
    if (this.pending >= this.maxPending) {
      this.#entries.set(channel, { holds: 1, sent: false, confirmed: false, refused: true })
      return
    }
    this.#entries.set(channel, { holds: 1, sent: false, confirmed: false })
    this.#markDirty(channel)
  }

  /**
   * One reason less. The last one lets the channel linger, then it is
   * unsubscribed.
   */
  release(channel: string) {
    const entry = this.#entries.get(channel)
    if (!entry || entry.holds === 0 || --entry.holds > 0) return
    if (entry.refused) {
      this.#entries.delete(channel)
    } else if (this.linger <= 0) {
      this.#markDirty(channel)
    } else {
      this.#lingering.set(channel, Date.now() + this.linger)
      if (this.#lingering.size > this.maxLingering)
        this.#expire(this.#lingering.keys().next().value!)
      this.#lingerTimer ??= this.#armLinger()
    }
  }

  /**
   * Undefined when the channel's messages reach this node (or it is not
   * held); else resolves once they do. Rejects with a Refusal when the
   * channel was held past "maxPending", with the transport's error when
   * the subscribe failed.
   */
  ready(channel: string): Promise<void> | undefined {
    const entry = this.#entries.get(channel)
    if (!entry || entry.confirmed) return undefined
    if (entry.refused) {
      if (this.pending >= this.maxPending || this.#closed) {
        return Promise.reject(
          new Refusal(
            503,
            `Too many channels waiting for the cluster bus (the limit is ${this.maxPending}): retry later`
          )
        )
      }
      // Room again: the next holder retries
      entry.refused = false
    }
    if (!entry.batch) {
      // Not sent yet, or its subscribe failed: in the next round
      this.#markDirty(channel)
      entry.batch = this.#next ??= batch()
    }
    return entry.batch.promise
  }

  /**
   * Whether the channel's messages reach this node now
   */
  receives(channel: string) {
    return this.#entries.get(channel)?.confirmed === true
  }

  /**
   * Changes waiting for the transport: those of the next round and those
   * in flight
   */
  get pending() {
    return this.#dirty.size + this.#inFlight
  }

  /**
   * What a health check or a benchmark reads: channels subscribed (or
   * being), lingering among them, and changes pending
   */
  stats() {
    let subscribed = 0
    for (const entry of this.#entries.values()) if (entry.sent) subscribed++
    return { subscribed, lingering: this.#lingering.size, pending: this.pending }
  }

  /**
   * The transport lost every subscription (a new connection): subscribes
   * every channel held or lingering again, in one round
   */
  resubscribeAll() {
    if (this.#closed) return
    for (const [channel, entry] of this.#entries) {
      entry.sent = false
      entry.confirmed = false
      entry.batch = undefined
      if (!entry.refused) this.#markDirty(channel)
    }
  }

  /**
   * Forgets everything and stops the timers (the transport is closed
   * apart); waiters are refused
   */
  close() {
    this.#closed = true
    clearTimeout(this.#lingerTimer)
    this.#lingerTimer = undefined
    this.#next?.reject(new Refusal(503, 'The cluster bus is closed'))
    this.#next = undefined
    this.#entries.clear()
    this.#lingering.clear()
    this.#dirty.clear()
    this.#inFlight = 0
  }

  #markDirty(channel: string) {
    this.#dirty.add(channel)
    if (this.#scheduled || this.#inFlight > 0 || this.#closed) return
    this.#scheduled = true
    setImmediate(() => this.#flush())
  }

  /**
   * Unsubscribes the channel now: its linger ran out, or made room
   */
  #expire(channel: string) {
    this.#lingering.delete(channel)
    this.#markDirty(channel)
  }

  #armLinger(): NodeJS.Timeout | undefined {
    const first = this.#lingering.values().next()
    if (first.done) return undefined
    return setTimeout(
      () => {
        this.#lingerTimer = undefined
        const now = Date.now()
        for (const [channel, until] of this.#lingering) {
          if (until > now) break
          this.#expire(channel)
        }
        this.#lingerTimer = this.#armLinger()
      },
      Math.max(0, first.value - Date.now())
    ).unref()
  }

  /**
   * Sends the changes of the round: what is wanted (held or lingering)
   * and not sent is subscribed, what is sent and no longer wanted is
   * unsubscribed
   */
  #flush() {
    this.#scheduled = false
    if (this.#closed || this.#inFlight > 0 || this.#dirty.size === 0) return
    const subscribe: string[] = []
    const unsubscribe: string[] = []
    const round = this.#next ?? batch()
    this.#next = undefined
    for (const channel of this.#dirty) {
      const entry = this.#entries.get(channel)
      if (!entry) continue
      const wanted = entry.holds > 0 || this.#lingering.has(channel)
      if (wanted && !entry.sent) {
        entry.sent = true
        entry.confirmed = false
        entry.batch = round
        subscribe.push(channel)
      } else if (!wanted) {
        if (entry.sent) unsubscribe.push(channel)
        this.#entries.delete(channel)
      }
    }
    this.#dirty.clear()
    if (subscribe.length + unsubscribe.length === 0) return round.resolve()
    this.#inFlight = subscribe.length + unsubscribe.length
    void this.#send(round, subscribe, unsubscribe)
  }

  /**
   * One round's commands, the unsubscribes first; the round settles once
   * all came back, then the next one starts
   */
  async #send(round: Batch, subscribe: string[], unsubscribe: string[]) {
    const unsubscribed = inCommands(unsubscribe).map((channels) => {
      this.commands.unsubscribe++
      // Still subscribed: its messages find no socket here
      return this.#transport
        .unsubscribe(channels)
        .catch((error) => this.#closed || this.#report(error, 'bus unsubscribe'))
    })
    const subscribed = inCommands(subscribe).map((channels) => {
      this.commands.subscribe++
      return this.#transport.subscribe(channels)
    })
    let failure: { error: unknown } | undefined
    try {
      await Promise.all(subscribed)
    } catch (error) {
      failure = { error }
    }
    await Promise.all(unsubscribed)
    this.#inFlight = 0
    this.#settle(subscribe, round, failure)
    if (this.#dirty.size && !this.#closed && !this.#scheduled) {
      this.#scheduled = true
      setImmediate(() => this.#flush())
    }
  }

  /**
   * A round came back: its channels receive, or (failed) are subscribed
   * again by their next waiter or a reconnect
   */
  #settle(channels: string[], round: Batch, failure?: { error: unknown }) {
    for (const channel of channels) {
      const entry = this.#entries.get(channel)
      if (!entry || entry.batch !== round) continue
      entry.batch = undefined
      if (failure) entry.sent = false
      else entry.confirmed = true
    }
    if (!failure) return round.resolve()
    if (!this.#closed) this.#report(failure.error, 'bus subscribe')
    round.reject(failure.error)
  }
}
