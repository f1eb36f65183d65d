import type { CompiledPattern, PatternParam, PatternStep } from './pattern_types.ts'

/**
 * Matching a channel name against a compiled pattern in time linear in the name's length,
 * whatever the pattern: no regex, so no backtracking an outsider could make explode.
 *
 * Captures are those a backtracking regex with greedy placeholders would give: the leftmost
 * placeholder takes the longest text that still lets the rest match, then the next one, and
 * so on (e.g. `private-<a>_<b>` on `private-x_y_z` gives a = `x_y`, b = `z`).
 */

/** How long a uuid placeholder's text is: 8-4-4-4-12 */
export const UUID_LENGTH = 36
/** `<x:int>` holds at most 16 digits (`0|[1-9][0-9]{0,15}`) */
const INT_MAX_DIGITS = 16

export type PatternParams = Record<string, string | bigint>

function isWordChar(code: number) {
  return (
    (code >= 48 && code <= 57) ||
    (code >= 65 && code <= 90) ||
    (code >= 97 && code <= 122) ||
    code === 95
  )
}

function isDigit(code: number) {
  return code >= 48 && code <= 57
}

/** `*` takes any channel-name character: `A-Z a-z 0-9 _ - = @ , . ;` */
function isStarChar(code: number) {
  return (
    isWordChar(code) ||
    code === 45 ||
    code === 61 ||
    code === 64 ||
    code === 44 ||
    code === 46 ||
    code === 59
  )
}

function isLowerHex(code: number) {
  return isDigit(code) || (code >= 97 && code <= 102)
}

/** A canonical lowercase uuid starts at `start` */
function isUuidAt(name: string, start: number) {
  if (start + UUID_LENGTH > name.length) return false
  for (let i = 0; i < UUID_LENGTH; i++) {
    const code = name.charCodeAt(start + i)
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (code !== 45) return false
    } else if (!isLowerHex(code)) {
      return false
    }
  }
  return true
}

/** Characters a placeholder may hold */
function accepts(type: PatternParam['type'], code: number) {
  return type === 'int' ? isDigit(code) : isWordChar(code)
}

/**
 * True when one greedy pass decides: every placeholder is followed by the end of the pattern
 * or by literal text whose first character it cannot hold (uuids have a fixed length), so it
 * can only end where its run of characters ends.
 */
export function isSinglePass(steps: PatternStep[]) {
  return steps.every((step, index) => {
    if (step.kind !== 'param' || step.param.type === 'uuid') return true
    const next = steps[index + 1]
    return next?.kind !== 'literal' || !accepts(step.param.type, next.text.charCodeAt(0))
  })
}

/**
 * The longest end (exclusive) of a placeholder starting at `start`, or -1 when it cannot start
 * there. Its shortest end is `start + 1`, except for uuids whose length is fixed. `runEnd` is
 * where the run of characters the placeholder accepts, starting at `start`, ends.
 */
function longestEnd(type: PatternParam['type'], name: string, start: number, runEnd: number) {
  if (type === 'uuid') return isUuidAt(name, start) ? start + UUID_LENGTH : -1
  if (runEnd <= start) return -1
  if (type === 'string') return runEnd
  if (name.charCodeAt(start) === 48) return start + 1
  return Math.min(runEnd, start + INT_MAX_DIGITS)
}

function shortestEnd(type: PatternParam['type'], start: number) {
  return type === 'uuid' ? start + UUID_LENGTH : start + 1
}

function runEndAt(name: string, start: number, type: PatternParam['type']) {
  let end = start
  while (end < name.length && accepts(type, name.charCodeAt(end))) end++
  return end
}

function starMatches(name: string, start: number) {
  if (start >= name.length) return false
  for (let i = start; i < name.length; i++) if (!isStarChar(name.charCodeAt(i))) return false
  return true
}

function capture(param: PatternParam, text: string, params: PatternParams | null) {
  if (params) params[param.name] = param.type === 'int' ? BigInt(text) : text
}

/**
 * One greedy pass, for `singlePass` patterns: O(name length)
 */
function matchSinglePass(steps: PatternStep[], name: string, params: PatternParams | null) {
  let at = 0
  for (const step of steps) {
    if (step.kind === 'literal') {
      if (!name.startsWith(step.text, at)) return false
      at += step.text.length
    } else if (step.kind === 'star') {
      return starMatches(name, at)
    } else {
      const end = longestEnd(step.param.type, name, at, runEndAt(name, at, step.param.type))
      if (end === -1) return false
      capture(step.param, name.slice(at, end), params)
      at = end
    }
  }
  return at === name.length
}

/**
 * Dynamic programming over (step, position), for the other patterns: O(steps × name length).
 * `last[s][j]` is the largest position p <= j from which steps s.. match the rest of the
 * name (-1 if none), so a placeholder's longest workable end is one lookup.
 */
function matchByTable(steps: PatternStep[], name: string, params: PatternParams | null) {
  const n = name.length
  // Runs of word characters and of digits, computed once per name
  const wordEnd = new Int32Array(n + 1)
  const digitEnd = new Int32Array(n + 1)
  const starEnd = new Int32Array(n + 1)
  wordEnd[n] = digitEnd[n] = starEnd[n] = n
  for (let i = n - 1; i >= 0; i--) {
    const code = name.charCodeAt(i)
    wordEnd[i] = isWordChar(code) ? wordEnd[i + 1] : i
    digitEnd[i] = isDigit(code) ? digitEnd[i + 1] : i
    starEnd[i] = isStarChar(code) ? starEnd[i + 1] : i
  }
  const runEnd = (type: PatternParam['type'], i: number) =>
    type === 'int' ? digitEnd[i] : wordEnd[i]

  const last: Int32Array[] = new Array(steps.length + 1)
  const end = new Int32Array(n + 1)
  for (let j = 0; j <= n; j++) end[j] = j === n ? n : -1
  last[steps.length] = end

  for (let s = steps.length - 1; s >= 0; s--) {
    const step = steps[s]
    const next = last[s + 1]
    const table = new Int32Array(n + 1)
    for (let i = 0; i <= n; i++) {
      let ok: boolean
      if (step.kind === 'literal') {
        const to = i + step.text.length
        ok = to <= n && next[to] === to && name.startsWith(step.text, i)
      } else if (step.kind === 'star') {
        ok = i < n && starEnd[i] === n
      } else {
        const type = step.param.type
        const longest = i < n ? longestEnd(type, name, i, runEnd(type, i)) : -1
        ok = longest !== -1 && next[longest] >= shortestEnd(type, i)
      }
      table[i] = ok ? i : i > 0 ? table[i - 1] : -1
    }
    last[s] = table
  }
  if (last[0][0] !== 0) return false
  if (!params) return true

  // Walk forward, each placeholder taking its longest end that lets the rest match
  let at = 0
  for (const [s, step] of steps.entries()) {
    if (step.kind === 'literal') at += step.text.length
    else if (step.kind === 'param') {
      const type = step.param.type
      const stop = last[s + 1][longestEnd(type, name, at, runEnd(type, at))]
      capture(step.param, name.slice(at, stop), params)
      at = stop
    }
  }
  return true
}

/**
 * True when `channel` matches the pattern
 */
export function testPattern(pattern: CompiledPattern, channel: string): boolean {
  return pattern.singlePass
    ? matchSinglePass(pattern.steps, channel, null)
    : matchByTable(pattern.steps, channel, null)
}

/**
 * Matches a channel name against a pattern and returns its params (`<x:int>` as BigInt), or
 * null when it does not match
 */
export function matchPattern(pattern: CompiledPattern, channel: string): PatternParams | null {
  const params: PatternParams = {}
  const matched = pattern.singlePass
    ? matchSinglePass(pattern.steps, channel, params)
    : matchByTable(pattern.steps, channel, params)
  return matched ? params : null
}
