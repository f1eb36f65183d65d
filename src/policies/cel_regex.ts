import { RE2JS } from 're2js'
import { RuleFunctionError } from '../errors.ts'

/**
 * CEL's `matches()` on RE2 (`re2js`), whose matching time is linear in the input: a
 * JavaScript RegExp backtracks, and `'^([a-zA-Z]+ ?)+$'` on a 30-character name took seconds.
 *
 * Patterns written in rules are compiled once at load and pinned; patterns that come from
 * data (`user.name.matches(user.pattern)`) are compiled on use and kept in a small LRU.
 */

/** The method name rules call `matches` through (see `rewriteMatches`) */
export const RE2_MATCHES = 'matchesRe2'
const PINNED_MAX = 1000
const RECENT_MAX = 256
/** Compiling is linear too, yet a long pattern from data would be compiled per request */
export const DATA_PATTERN_MAX_LENGTH = 1024

const pinned = new Map<string, RE2JS>()
const recent = new Map<string, RE2JS>()

function compile(pattern: string): RE2JS {
  try {
    return RE2JS.compile(pattern)
  } catch (error) {
    throw new RuleFunctionError(firstLine(error), 'invalid_regular_expression')
  }
}

function firstLine(error: unknown) {
  return String((error as Error)?.message ?? error).split('\n')[0]
}

/**
 * Compiles a pattern written in a rule, at load. Throws `RuleFunctionError` with RE2's message.
 */
export function pinRegex(pattern: string): void {
  if (pinned.has(pattern)) return
  const regex = compile(pattern)
  if (pinned.size < PINNED_MAX) pinned.set(pattern, regex)
}

function regexFor(pattern: string): RE2JS {
  const known = pinned.get(pattern)
  if (known) return known
  let regex = recent.get(pattern)
  if (regex) {
    recent.delete(pattern)
  } else {
    if (pattern.length > DATA_PATTERN_MAX_LENGTH) {
      throw new RuleFunctionError('pattern too long', 'regular_expression_too_long')
    }
    regex = compile(pattern)
    if (recent.size >= RECENT_MAX) recent.delete(recent.keys().next().value!)
  }
  recent.set(pattern, regex)
  return regex
}

/**
 * `text.matches(pattern)`: true when the pattern matches anywhere in the text (RE2
 * semantics, as CEL specifies)
 */
export function re2Matches(text: string, pattern: string): boolean {
  return regexFor(pattern).test(text)
}

/**
 * Points every `x.matches(pattern)` of a parsed (not yet checked) expression at the RE2
 * implementation, and compiles the patterns written as string literals. Returns the first
 * invalid literal pattern, with its offset in the expression, or null.
 */
export function rewriteMatches(node: any): { offset: number; message: string } | null {
  if (!node || typeof node !== 'object') return null
  if (Array.isArray(node)) {
    for (const child of node) {
      const found = rewriteMatches(child)
      if (found) return found
    }
    return null
  }
  if (node.op === 'rcall' && node.args[0] === 'matches' && node.args[2]?.length === 1) {
    node.args[0] = RE2_MATCHES
    const pattern = node.args[2][0]
    if (pattern?.op === 'value' && typeof pattern.args === 'string') {
      try {
        pinRegex(pattern.args)
      } catch (error) {
        return { offset: pattern.start ?? node.start ?? 0, message: (error as Error).message }
      }
    }
  }
  return rewriteMatches(node.args)
}
