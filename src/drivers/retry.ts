import { setTimeout as sleep } from 'node:timers/promises'

export interface RetryOptions {
  /**
   * Further attempts after the first one. Default: 2
   */
  retries: number

  /**
   * Delay before the first retry; doubles each time, with jitter. Default: 100
   */
  minDelayMs: number

  /**
   * Upper bound of a single delay. Default: 2000
   */
  maxDelayMs: number
}

export const DEFAULT_RETRY: RetryOptions = { retries: 2, minDelayMs: 100, maxDelayMs: 2000 }

/**
 * Runs "task" until it succeeds, a failure is not transient, or retries run
 * out. The delay grows exponentially and is capped, so a failing server
 * never holds a request for long.
 */
export async function withRetry<T>(
  task: () => Promise<T>,
  isTransient: (error: unknown) => boolean,
  options: RetryOptions
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await task()
    } catch (error) {
      if (attempt >= options.retries || !isTransient(error)) {
        throw error
      }
      const delay = Math.min(options.maxDelayMs, options.minDelayMs * 2 ** attempt)
      await sleep(delay / 2 + Math.random() * (delay / 2))
    }
  }
}
