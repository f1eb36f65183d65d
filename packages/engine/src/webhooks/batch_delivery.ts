import type { LifecycleEvent } from '../lifecycle/lifecycle_events.ts'
import { webhookHeaders } from './webhook_signature.ts'

/**
 * A retry never waits longer than this, however long the outage
 */
const RETRY_CAP_MS = 60_000

/**
 * Where a target reports; calls never throw (the sender guards them)
 */
export interface WebhookReporter {
  warn(details: object, message: string): void
  error(details: object, message: string): void
}

export interface BatchDeliveryOptions {
  url: string
  /**
   * The URL without credentials or query, for logs
   */
  label: string
  key: string
  secret: string
  retryFor: number
  retryBase: number
  timeout: number
  reporter: WebhookReporter
}

/**
 * Posts batches of events to one target, signed as Pusher does; a batch
 * that fails is retried with back-off until "retryFor" has passed. On
 * shutdown a failure is no longer retried, and what is out is aborted
 * once shutdown's time is up.
 */
export class BatchDelivery {
  #closing = false
  #wakeRetry?: () => void
  #shutdown = new AbortController()

  constructor(protected options: BatchDeliveryOptions) {}

  /**
   * Whether shutdown's time ran out
   */
  get aborted() {
    return this.#shutdown.signal.aborted
  }

  /**
   * Shutdown begins: a failure is not retried, a retry waiting goes now
   */
  finish() {
    this.#closing = true
    this.#wakeRetry?.()
  }

  /**
   * Shutdown's time is up: the request out is aborted
   */
  abort() {
    this.#shutdown.abort()
  }

  /**
   * Whether the target answered 2xx; a batch given up on is reported. The
   * same body (and signature) on every attempt: a receiver that got a
   * batch before its answer was lost sees an exact duplicate.
   */
  async deliver(batch: LifecycleEvent[]): Promise<boolean> {
    const { key, secret, retryFor, label, reporter } = this.options
    let body: string
    try {
      body = JSON.stringify({ time_ms: Date.now(), events: batch })
    } catch (error) {
      // A BigInt or a cycle in client data would fail every attempt
      reporter.error(
        { url: label, events: batch.length, err: error },
        'webhook dropped: its events are not JSON'
      )
      return false
    }
    const headers = webhookHeaders(key, secret, body)
    const firstAttempt = Date.now()
    for (let attempt = 1; ; attempt++) {
      const failure = await this.#post(body, headers)
      if (failure === undefined) return true
      const elapsed = Date.now() - firstAttempt
      if (this.#closing || elapsed >= retryFor) {
        reporter.error(
          { url: label, events: batch.length, attempts: attempt, reason: failure },
          'webhook dropped: the target did not accept it'
        )
        return false
      }
      if (attempt === 1) {
        reporter.warn(
          { url: label, events: batch.length, reason: failure },
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
      const response = await fetch(this.options.url, {
        method: 'POST',
        headers,
        body,
        // A followed 301/302 turns the POST into a GET that could answer 2xx
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(this.options.timeout), this.#shutdown.signal]),
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
    const delay = Math.min(RETRY_CAP_MS, this.options.retryBase * 2 ** (attempt - 1))
    return delay / 2 + Math.random() * (delay / 2)
  }

  /**
   * A wait that finish() cuts short
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
