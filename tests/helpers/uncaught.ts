/**
 * Collects what reaches "uncaughtException" / "unhandledRejection" while a
 * test runs. In a real app either one stops the process; here the runner
 * would only report it after the test passed.
 */
export function collectUncaught() {
  const errors: unknown[] = []
  const record = (error: unknown) => errors.push(error)
  process.on('uncaughtException', record)
  process.on('unhandledRejection', record)
  return {
    errors,
    stop() {
      process.off('uncaughtException', record)
      process.off('unhandledRejection', record)
    },
  }
}
