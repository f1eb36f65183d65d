import type { LifecycleEvent } from '../lifecycle/lifecycle_events.ts'
import { ThrottledCount } from './throttled_count.ts'
import { EventQueue } from './event_queue.ts'
import { BatchDelivery, type WebhookReporter } from './batch_delivery.ts'

/**
 * At most one "queue full" line per target in this period
 */
const DROP_REPORT_MS = 10_000

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
  #queue = new EventQueue()
  #delivery: BatchDelivery
  #inFlight = 0
  #sent = 0
  #failed = 0
  #dropped = 0
  #droppedByEvent: Record<string, number> = {}
  #batchTimer?: NodeJS.Timeout
  #draining?: Promise<void>
  #closing = false
  #drops: ThrottledCount

  constructor(options: TargetQueueOptions) {
    this.#options = options
    this.url = options.url
    const parsed = new URL(options.url)
    this.label = `${parsed.origin}${parsed.pathname}`
    this.#delivery = new BatchDelivery({ ...options, label: this.label })
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
      this.#queue.cancelOccupied(event.channel)
    ) {
      return
    }
    const queue = this.#queue
    queue.add(event)
    const { maxQueued, maxQueuedBytes } = this.#options
    while (queue.size > maxQueued || (queue.bytes > maxQueuedBytes && queue.size > 1)) {
      const [dropped] = queue.take(1)
      if (!dropped) continue
      this.#dropped++
      this.#droppedByEvent[dropped.name] = (this.#droppedByEvent[dropped.name] ?? 0) + 1
      this.#drops.note()
    }
    this.#schedule()
  }

  /**
   * Whether the next event pushes out the oldest
   */
  get full() {
    return (
      this.#queue.size >= this.#options.maxQueued ||
      this.#queue.bytes >= this.#options.maxQueuedBytes
    )
  }

  stats(): WebhookStats {
    return {
      queued: this.#queue.size + this.#inFlight,
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
    this.#delivery.finish()
    if (this.#queue.entries > 0) this.#drain()
    const deadline = setTimeout(() => this.#delivery.abort(), timeoutMs).unref()
    await this.#draining
    clearTimeout(deadline)
    this.#drops.stop()
    const left = this.#queue.size
    this.#queue.clear()
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
    if (this.#queue.entries >= this.#options.maxBatch) return this.#drain()
    this.#batchTimer ??= setTimeout(() => this.#drain(), this.#options.batchMs).unref()
  }

  #drain() {
    clearTimeout(this.#batchTimer)
    this.#batchTimer = undefined
    if (this.#draining) return
    this.#draining = this.#deliverAll().then(() => {
      this.#draining = undefined
      // Pushed between the loop's last look and now
      if (this.#queue.entries > 0 && !this.#closing) this.#schedule()
    })
  }

  /**
   * Never rejects: it runs from timers, where an error would crash the app
   */
  async #deliverAll() {
    try {
      while (this.#queue.entries > 0 && !this.#delivery.aborted) {
        const batch = this.#queue.take(this.#options.maxBatch)
        if (batch.length === 0) continue
        this.#inFlight = batch.length
        try {
          if (await this.#delivery.deliver(batch)) this.#sent += batch.length
          else this.#failed += batch.length
        } finally {
          this.#inFlight = 0
        }
      }
    } catch (error) {
      this.#options.reporter.error({ url: this.label, err: error }, 'webhook delivery failed')
    }
  }
}
