import type { LifecycleEvent } from '../lifecycle_events.ts'
import { ThrottledCount } from './throttled_count.ts'
import { webhookHeaders } from './webhook_signature.ts'

/**
 * A retry never waits longer than this, however long the outage
 */
const RETRY_CAP_MS = 60_000

/**
 * At most one "queue full" line per target in this period
 */
const DROP_REPORT_MS = 10_000

/**
 * Where a target reports; calls never throw (the sender guards them)
 */
export interface WebhookReporter {
  warn(details: object, message: string): void
  error(details: object, message: string): void
}

export interface TargetQueueOptions {
  url: string
  key: string
  secret: string
  maxQueued: number
  maxQueuedBytes: number
  batchMs: number
  maxBatch: number
  retryFor: number
  retryBase: number
  timeout: number
  reporter: WebhookReporter
}

export interface WebhookStats {
  /**
   * Events waiting, or in a request not answered yet
   */
  queued: number
  /**
   * Events the target answered 2xx for
   */
  sent: number
  /**
   * Events given up on: retries ran out, or shutdown came first
   */
  failed: number
  /**
   * Oldest events dropped because the queue was full
   */
  dropped: number
  /**
   * The same, by event name
   */
  droppedByEvent: Record<string, number>
}

/**
 * The webhooks of one target: events wait in a bounded queue, leave in
 * batches, one request at a time so they arrive in order, and a batch that
 * fails is retried with back-off until "retryFor" has passed.
 */
export class TargetQueue {
  readonly url: string

  /**
   * The URL without credentials or query, for logs and metrics
   */
  readonly label: string

  #options: TargetQueueOptions
  #pending: LifecycleEvent[] = []
  #pendingBytes = 0
  #inFlight = 0
  #sent = 0
  #failed = 0
  #dropped = 0
  #droppedByEvent: Record<string, number> = {}
  /**
   * Queued "channel_occupied" events by channel, and the ones a
   * "channel_vacated" cancelled while a request was out (still in the
   * queue, skipped): a client churning through channels while the target
   * is slow must not push real events out with pairs that say nothing
   */
  #occupied = new Map<string, LifecycleEvent>()
  #cancelled = new WeakSet<LifecycleEvent>()
  #cancelledCount = 0
  #batchTimer?: NodeJS.Timeout
  #draining?: Promise<void>
  #wakeRetry?: () => void
  #closing = false
  #shutdown = new AbortController()
  #drops: ThrottledCount

  constructor(options: TargetQueueOptions) {
    this.#options = options
    this.url = options.url
    const parsed = new URL(options.url)
    this.label = `${parsed.origin}${parsed.pathname}`
    this.#drops = new ThrottledCount(DROP_REPORT_MS, (count) =>
      options.reporter.warn(
        { url: this.label, dropped: count, maxQueued: options.maxQueued },
        'webhook queue full: oldest events dropped'
      )
    )
  }

  push(event: LifecycleEvent) {
    if (this.#closing) return
    // Only while a request is out: a healthy target gets every event
    if (
      event.name === 'channel_vacated' &&
      this.#inFlight > 0 &&
      this.#cancelOccupied(event.channel)
    ) {
      return
    }
    if (event.name === 'channel_occupied') this.#occupied.set(event.channel, event)
    this.#pending.push(event)
    this.#pendingBytes += sizeOf(event)
    while (
      this.#queued > this.#options.maxQueued ||
      (this.#pendingBytes > this.#options.maxQueuedBytes && this.#queued > 1)
    ) {
      const dropped = this.#take(1)
      if (dropped.length === 0) continue
      this.#dropped++
      this.#droppedByEvent[dropped[0].name] = (this.#droppedByEvent[dropped[0].name] ?? 0) + 1
      this.#drops.note()
    }
    this.#schedule()
  }

  /**
   * Events waiting, the cancelled ones not counted
   */
  get #queued() {
    return this.#pending.length - this.#cancelledCount
  }

  /**
   * The channel's "channel_occupied" is still queued: both go
   */
  #cancelOccupied(channel: string) {
    const occupied = this.#occupied.get(channel)
    if (!occupied) return false
    this.#occupied.delete(channel)
    this.#cancelled.add(occupied)
    this.#cancelledCount++
    this.#pendingBytes -= sizeOf(occupied)
    return true
  }

  /**
   * Takes up to "count" queued entries off the front, without the
   * cancelled ones
   */
  #take(count: number) {
    const taken: LifecycleEvent[] = []
    for (const event of this.#pending.splice(0, count)) {
      if (this.#cancelled.has(event)) {
        this.#cancelledCount--
        continue
      }
      if (this.#occupied.get(event.channel) === event) this.#occupied.delete(event.channel)
      this.#pendingBytes -= sizeOf(event)
      taken.push(event)
    }
    return taken
  }

  /**
   * Whether the next event pushes out the oldest
   */
  get full() {
    return (
      this.#queued >= this.#options.maxQueued || this.#pendingBytes >= this.#options.maxQueuedBytes
    )
  }

  stats(): WebhookStats {
    return {
      queued: this.#queued + this.#inFlight,
      sent: this.#sent,
      failed: this.#failed,
      dropped: this.#dropped,
      droppedByEvent: { ...this.#droppedByEvent },
    }
  }

  /**
   * Sends what is queued one last time (no retries) and gives up on what
   * is left after "timeoutMs": shutdown waits that long at most
   */
  async close(timeoutMs: number) {
    if (this.#closing) return
    this.#closing = true
    this.#wakeRetry?.()
    if (this.#pending.length > 0) this.#drain()
    const deadline = setTimeout(() => this.#shutdown.abort(), timeoutMs).unref()
    await this.#draining
    clearTimeout(deadline)
    this.#drops.stop()
    const left = this.#queued
    if (this.#pending.length > 0) {
      this.#pending = []
      this.#pendingBytes = 0
      this.#cancelledCount = 0
      this.#occupied.clear()
    }
    if (left > 0) {
      this.#failed += left
      this.#options.reporter.error(
        { url: this.label, events: left },
        'webhook events not sent before shutdown'
      )
    }
  }

  /**
   * Lets events gather for "batchMs", unless a full batch is already there.
   * While a request is out, the delivery loop picks new events up itself.
   */
  #schedule() {
    if (this.#draining) return
    if (this.#pending.length >= this.#options.maxBatch) return this.#drain()
    this.#batchTimer ??= setTimeout(() => this.#drain(), this.#options.batchMs).unref()
  }

  #drain() {
    clearTimeout(this.#batchTimer)
    this.#batchTimer = undefined
    if (this.#draining) return
    this.#draining = this.#deliverAll().then(() => {
      this.#draining = undefined
      // Pushed between the loop's last look and now
      if (this.#pending.length > 0 && !this.#closing) this.#schedule()
    })
  }

  /**
   * Never rejects: it runs from timers, where an error would crash the app
   */
  async #deliverAll() {
    try {
      while (this.#pending.length > 0 && !this.#shutdown.signal.aborted) {
        const batch = this.#take(this.#options.maxBatch)
        if (batch.length === 0) continue
        this.#inFlight = batch.length
        try {
          await this.#deliver(batch)
        } finally {
          this.#inFlight = 0
        }
      }
    } catch (error) {
      this.#options.reporter.error({ url: this.label, err: error }, 'webhook delivery failed')
    }
  }

  /**
   * The same body (and signature) on every attempt: a receiver that got a
   * batch before its answer was lost sees an exact duplicate
   */
  async #deliver(batch: LifecycleEvent[]) {
    const { key, secret, retryFor } = this.#options
    let body: string
    try {
      body = JSON.stringify({ time_ms: Date.now(), events: batch })
    } catch (error) {
      // A BigInt or a cycle in client data would fail every attempt
      this.#failed += batch.length
      this.#options.reporter.error(
        { url: this.label, events: batch.length, err: error },
        'webhook dropped: its events are not JSON'
      )
      return
    }
    const headers = webhookHeaders(key, secret, body)
    const firstAttempt = Date.now()
    for (let attempt = 1; ; attempt++) {
      const failure = await this.#post(body, headers)
      if (failure === undefined) {
        this.#sent += batch.length
        return
      }
      const elapsed = Date.now() - firstAttempt
      if (this.#closing || elapsed >= retryFor) {
        this.#failed += batch.length
        this.#options.reporter.error(
          { url: this.label, events: batch.length, attempts: attempt, reason: failure },
          'webhook dropped: the target did not accept it'
        )
        return
      }
      if (attempt === 1) {
        this.#options.reporter.warn(
          { url: this.label, events: batch.length, reason: failure },
          'webhook failed, retrying'
        )
      }
      // The last attempt lands on the deadline rather than after it
      await this.#sleep(Math.min(this.#backoff(attempt), retryFor - elapsed))
    }
  }

  /**
   * Why the attempt failed, or undefined when the target answered 2xx
   */
  async #post(body: string, headers: Record<string, string>): Promise<string | undefined> {
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        headers,
        body,
        // A followed 301/302 turns the POST into a GET that could answer 2xx
        redirect: 'manual',
        signal: AbortSignal.any([
          AbortSignal.timeout(this.#options.timeout),
          this.#shutdown.signal,
        ]),
      })
      // The answer is not read: release the connection
      response.body?.cancel().catch(() => {})
      return response.ok ? undefined : `status ${response.status}`
    } catch (error) {
      return describeError(error)
    }
  }

  /**
   * Doubles from "retryBase", with jitter so targets that failed together
   * do not retry together
   */
  #backoff(attempt: number) {
    const delay = Math.min(RETRY_CAP_MS, this.#options.retryBase * 2 ** (attempt - 1))
    return delay / 2 + Math.random() * (delay / 2)
  }

  /**
   * A wait that close() cuts short
   */
  #sleep(ms: number) {
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer)
        this.#wakeRetry = undefined
        resolve()
      }
      const timer = setTimeout(wake, ms).unref()
      this.#wakeRetry = wake
    })
  }
}

/**
 * fetch says "fetch failed" and keeps the reason (ECONNREFUSED...) in "cause"
 */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : ''
  return `${error.message}${cause}`
}

/**
 * About what an event weighs in the queue: its strings, which a client
 * event's data dominates
 */
function sizeOf(event: LifecycleEvent) {
  return 64 + event.channel.length + ('data' in event ? event.data.length : 0)
}
