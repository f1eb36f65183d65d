/**
 * Bounds on what rules read, checked before every evaluation. cel-js has no evaluation-step
 * limit, so a rule's cost is bounded by its size (4 KB, checked at load with `rule_cost.ts`)
 * and by these: the longest list a macro can walk and the longest string `matches()` can scan.
 */
export const INPUT_LIMITS = {
  /**
   * Characters in one string of the user snapshot (and the socket id): room for a text
   * column such as a bio, while `matches()` on it stays in the low milliseconds
   */
  stringLength: 16_384,
  /** Entries in one list or map of the user snapshot */
  listEntries: 1000,
  /** Values in the whole user snapshot (scalars, lists and maps) */
  values: 10_000,
  /** Nesting of lists and maps */
  depth: 32,
}

/**
 * Why a user snapshot is over the bounds, or null. Names the top-level field, never a value
 * (user data).
 */
export function snapshotProblem(user: unknown): string | null {
  const stack: Array<{ value: unknown; depth: number; path: string }> = [
    { value: user, depth: 0, path: 'user' },
  ]
  let values = 0
  while (stack.length) {
    const { value, depth, path } = stack.pop()!
    if (++values > INPUT_LIMITS.values) {
      return `user snapshot holds more than ${INPUT_LIMITS.values} values`
    }
    if (typeof value === 'string') {
      if (value.length > INPUT_LIMITS.stringLength) {
        return `${path} is over ${INPUT_LIMITS.stringLength} characters (hide long columns from serialization)`
      }
      continue
    }
    if (value === null || typeof value !== 'object') continue
    if (depth >= INPUT_LIMITS.depth) {
      return `${path} is nested deeper than ${INPUT_LIMITS.depth} levels`
    }
    const entries = Object.entries(value)
    if (entries.length > INPUT_LIMITS.listEntries) {
      return `${path} is a list or map over ${INPUT_LIMITS.listEntries} entries`
    }
    for (const [key, child] of entries) {
      // Only the top-level field: deeper keys may be user data (a JSON column)
      stack.push({ value: child, depth: depth + 1, path: depth === 0 ? `user.${key}` : path })
    }
  }
  return null
}
