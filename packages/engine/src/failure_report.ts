import type { ServerLogger } from './server_options.ts'
import debug from './debug.ts'

/**
 * Where the server reports what escaped a listener or a timer (a bug,
 * never bad input: that is answered), and a runner for listener bodies:
 * what they throw is reported, never rethrown, so it cannot stop the app
 */
export function failureReport(logger?: ServerLogger) {
  const report = (error: unknown, where: string) => {
    try {
      if (logger) logger.error({ err: error }, `broadcast server: ${where} failed`)
      else debug('broadcast server: %s failed: %O', where, error)
    } catch {}
  }
  const safely = (where: string, body: () => void) => {
    try {
      body()
    } catch (error) {
      report(error, where)
    }
  }
  return { report, safely }
}
