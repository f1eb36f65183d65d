import { RuntimeException } from '@poppinss/exception'
import debug from '../debug.ts'
import {
  LIFECYCLE_EVENT_NAMES,
  type LifecycleEvent,
  type LifecycleEventName,
} from '../lifecycle/lifecycle_events.ts'
import { ThrottledCount } from './throttled_count.ts'
import { TargetQueue, type WebhookStats } from './target_queue.ts'
import type { WebhookReporter } from './batch_delivery.ts'

export type { WebhookStats } from './target_queue.ts'

/**
 * At most one "filter threw" line per target in this period
 */
const FILTER_REPORT_MS = 10_000

/**
 * Where webhooks go. Without "events" and "filter", every event.
 */
export interface WebhookTarget {
  url: string
  /**
   * Signs this target's requests instead of the app's secret. Give every
   * receiver that is not this app a secret of its own: whoever holds the
   * secret a webhook is signed with can post it, signed, to any route that
   * verifies with that secret (this app's incoming webhook route, when its
   * connection shares the secret). Default: the app's secret
   */
  secret?: string
  /**
   * Only these events
   */
  events?: LifecycleEventName[]
  /**
   * Only the events it returns true for. One that throws counts as false.
   */
  filter?: (event: LifecycleEvent) => boolean
}

export interface WebhookSenderOptions {
  /**
   * The app's key and secret: the key is sent as "X-Pusher-Key", the secret
   * signs the body ("X-Pusher-Signature") unless the target has its own
   */
  key: string
  secret: string
  targets: WebhookTarget[]
  /**
   * Where drops and failures are reported (the app's logger). Default:
   * NODE_DEBUG=adonisjs:broadcast output
   */
  logger?: WebhookReporter
  /**
   * Events waiting per target, besides the batch being sent; past it the
   * oldest is dropped. Default: 10 000
   */
  maxQueued?: number
  /**
   * Bytes of the events waiting per target (client events carry what
   * clients send); past it the oldest are dropped. Default: 8 MiB
   */
  maxQueuedBytes?: number
  /**
   * How long events gather before a request leaves, in ms. Default: 50
   */
  batchMs?: number
  /**
   * Events per request. Default: 100
   */
  maxBatch?: number
  /**
   * How long a failing batch is retried, in ms from its first attempt.
   * Default: 300 000 (5 minutes, as Pusher)
   */
  retryFor?: number
  /**
   * First retry delay in ms; it doubles up to 60 s, with jitter. Default: 1000
   */
  retryBase?: number
  /**
   * Per request, in ms. Default: 10 000
   */
  timeout?: number
  /**
   * How long close() tries to send what is queued, in ms. Default: 2000
   */
  closeTimeout?: number
}

/**
 * A target with what routes events to it
 */
interface Route {
  target: WebhookTarget
  events?: ReadonlySet<LifecycleEventName>
  queue: TargetQueue
  filterErrors: ThrottledCount
  lastFilterError?: unknown
}

/**
 * Sends lifecycle events to HTTP endpoints as Pusher webhooks: the same body,
 * headers and signature, so a receiver written for Pusher (its SDK's
 * "webhook()" check) works unchanged. Delivery is at least once and in order
 * per target. push() never throws and never waits: the sender runs inside
 * the app's process.
 */
export class WebhookSender {
  #routes: Route[]
  #reporter: WebhookReporter
  #closeTimeout: number
  #closing?: Promise<void>

  constructor(options: WebhookSenderOptions) {
    if (!options.key || !options.secret) {
      throw new RuntimeException('Webhooks need the app "key" and "secret" to sign requests')
    }
    this.#reporter = safeReporter(options.logger)
    this.#closeTimeout = positive(options, 'closeTimeout', 2000)
    const queueOptions = {
      key: options.key,
      secret: options.secret,
      reporter: this.#reporter,
      maxQueued: positive(options, 'maxQueued', 10_000),
      maxQueuedBytes: positive(options, 'maxQueuedBytes', 8 * 1024 * 1024),
      batchMs: positive(options, 'batchMs', 50),
      maxBatch: positive(options, 'maxBatch', 100),
      retryFor: positive(options, 'retryFor', 300_000),
      retryBase: positive(options, 'retryBase', 1000),
      timeout: positive(options, 'timeout', 10_000),
    }
    this.#routes = options.targets.map((target) => {
      checkTarget(target)
      const queue = new TargetQueue({
        ...queueOptions,
        url: target.url,
        secret: target.secret ?? queueOptions.secret,
      })
      const route: Route = {
        target,
        events: target.events && new Set(target.events),
        queue,
        filterErrors: new ThrottledCount(FILTER_REPORT_MS, (count) =>
          this.#reporter.error(
            { url: queue.label, events: count, err: route.lastFilterError },
            'webhook filter threw: events not sent to this target'
          )
        ),
      }
      return route
    })
  }

  /**
   * Queues the event for every target that wants it
   */
  push(event: LifecycleEvent): void {
    if (this.#closing) return
    try {
      for (const route of this.#routes) {
        if (this.#accepts(route, event)) route.queue.push(event)
      }
    } catch (error) {
      this.#reporter.error({ err: error }, 'webhook not queued')
    }
  }

  /**
   * Totals over all targets
   */
  stats(): WebhookStats {
    const total: WebhookStats = { queued: 0, sent: 0, failed: 0, dropped: 0, droppedByEvent: {} }
    for (const { queue } of this.#routes) {
      const stats = queue.stats()
      total.queued += stats.queued
      total.sent += stats.sent
      total.failed += stats.failed
      total.dropped += stats.dropped
      for (const [name, count] of Object.entries(stats.droppedByEvent)) {
        total.droppedByEvent[name] = (total.droppedByEvent[name] ?? 0) + count
      }
    }
    return total
  }

  /**
   * Targets whose queue is full (new events drop the oldest), by label
   */
  fullTargets(): string[] {
    return this.#routes.filter(({ queue }) => queue.full).map(({ queue }) => queue.label)
  }

  /**
   * Per target, in the order given; "url" has no credentials or query
   */
  targetStats(): Array<WebhookStats & { url: string }> {
    return this.#routes.map(({ queue }) => ({ url: queue.label, ...queue.stats() }))
  }

  /**
   * Stops the timers and sends what is queued one last time, for
   * "closeTimeout" at most. Later pushes are ignored.
   */
  close(): Promise<void> {
    this.#closing ??= Promise.all(
      this.#routes.map(async ({ queue, filterErrors }) => {
        filterErrors.stop()
        await queue.close(this.#closeTimeout)
      })
    ).then(() => {})
    return this.#closing
  }

  #accepts(route: Route, event: LifecycleEvent) {
    if (route.events && !route.events.has(event.name)) return false
    if (!route.target.filter) return true
    try {
      return Boolean(route.target.filter(event))
    } catch (error) {
      route.lastFilterError = error
      route.filterErrors.note()
      return false
    }
  }
}

/**
 * The app's logger if given, NODE_DEBUG output otherwise; a logger that
 * throws is not the sender's caller's problem
 */
function safeReporter(logger: WebhookReporter | undefined): WebhookReporter {
  const report = (level: 'warn' | 'error') => (details: object, message: string) => {
    try {
      if (logger) logger[level](details, message)
      else debug('%s %o', message, details)
    } catch {}
  }
  return { warn: report('warn'), error: report('error') }
}

type NumericOption =
  | 'maxQueued'
  | 'maxQueuedBytes'
  | 'batchMs'
  | 'maxBatch'
  | 'retryFor'
  | 'retryBase'
  | 'timeout'
  | 'closeTimeout'

function positive(options: WebhookSenderOptions, name: NumericOption, fallback: number) {
  const value = options[name] ?? fallback
  if (!Number.isInteger(value) || value <= 0) {
    throw new RuntimeException(`Webhook option "${name}" must be a positive integer`)
  }
  return value
}

function checkTarget(target: WebhookTarget) {
  let url: URL
  try {
    url = new URL(target.url)
  } catch {
    throw new RuntimeException(`Invalid webhook URL "${target.url}"`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RuntimeException(`A webhook URL must be http or https, not "${url.protocol}"`)
  }
  if (target.secret !== undefined && (typeof target.secret !== 'string' || !target.secret)) {
    throw new RuntimeException(
      `The "secret" of the webhook target "${url.origin}${url.pathname}" is empty: remove it to sign with the app's secret`
    )
  }
  const unknown = target.events?.find((name) => !LIFECYCLE_EVENT_NAMES.includes(name))
  if (unknown) {
    throw new RuntimeException(
      `Unknown webhook event "${unknown}". Known events: ${LIFECYCLE_EVENT_NAMES.join(', ')}`
    )
  }
}
