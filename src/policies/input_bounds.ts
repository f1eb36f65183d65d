/**
 * Bounds on what rules read, checked before every evaluation. cel-js has no evaluation-step
 * limit, so a rule's cost is bounded by its size (4 KB, checked at load with `rule_cost.ts`)
 * and by these: the longest list a macro can walk and the longest string `matches()` can scan.
 */
export const INPUT_LIMITS = {
  /** Characters in one string of the user snapshot (and the socket id) */
  stringLength: 4096,
  /** Entries in one list or map of the user snapshot */
  listEntries: 1000,
  /** Values in the whole user snapshot (scalars, lists and maps) */
  values: 10_000,
  /** Nesting of lists and maps */
  depth: 32,
}

/**
 * Why a user snapshot is over the bounds, or null. Never names a value (user data).
 */
export function snapshotProblem(user: unknown): string | null {
  const stack: Array<{ value: unknown; depth: number }> = [{ value: user, depth: 0 }]
  let values = 0
  while (stack.length) {
    const { value, depth } = stack.pop()!
    if (++values > INPUT_LIMITS.values) {
      return `user snapshot holds more than ${INPUT_LIMITS.values} values`
    }
    if (typeof value === 'string') {
      if (value.length > INPUT_LIMITS.stringLength) {
        return `user snapshot holds a string over ${INPUT_LIMITS.stringLength} characters`
      }
      continue
    }
    if (value === null || typeof value !== 'object') continue
    if (depth >= INPUT_LIMITS.depth) {
      return `user snapshot is nested deeper than ${INPUT_LIMITS.depth} levels`
    }
    const children = Array.isArray(value) ? value : Object.values(value)
    if (children.length > INPUT_LIMITS.listEntries) {
      return `user snapshot holds a list or map over ${INPUT_LIMITS.listEntries} entries`
    }
    for (const child of children) stack.push({ value: child, depth: depth + 1 })
  }
  return null
}
