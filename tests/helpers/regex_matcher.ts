import type { CompiledPattern } from '../../src/policies/pattern.ts'
import type { PatternParams } from '../../src/policies/pattern_match.ts'
import { comparePatterns } from '../../src/policies/precedence.ts'

/**
 * The regexes patterns used to compile to, before matching became linear-time. They
 * backtrack (a near-miss name can take minutes), so they live here only: the oracle of the
 * property tests and the baseline of `bench/policies.ts`.
 */
const SOURCES = {
  string: '([A-Za-z0-9_]+)',
  int: '(0|[1-9][0-9]{0,15})',
  uuid: '([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})',
}
const STAR_SOURCE = '[A-Za-z0-9_\\-=@,.;]+'

const cache = new WeakMap<CompiledPattern, RegExp>()

export function patternRegex(pattern: CompiledPattern): RegExp {
  let regex = cache.get(pattern)
  if (!regex) {
    const body = pattern.steps
      .map((step) => {
        if (step.kind === 'literal') return step.text.replace(/[.\-=]/g, '\\$&')
        if (step.kind === 'star') return STAR_SOURCE
        return SOURCES[step.param.type]
      })
      .join('')
    regex = new RegExp(`^${body}$`)
    cache.set(pattern, regex)
  }
  return regex
}

/**
 * The params the regex captures, or null when it does not match
 */
export function regexMatch(pattern: CompiledPattern, channel: string): PatternParams | null {
  const match = patternRegex(pattern).exec(channel)
  if (!match) return null
  const values: PatternParams = {}
  pattern.params.forEach((param, index) => {
    const raw = match[index + 1]
    values[param.name] = param.type === 'int' ? BigInt(raw) : raw
  })
  return values
}

/**
 * The reference matcher: every pattern's regex in precedence order, first match wins (the
 * approach of Laravel's channel routes, plus an explicit precedence)
 */
export class RegexLinearMatcher<Entry extends { pattern: CompiledPattern; order: number }> {
  #entries: Array<{ entry: Entry; regex: RegExp }>

  constructor(entries: Entry[]) {
    this.#entries = [...entries]
      .sort(comparePatterns)
      .map((entry) => ({ entry, regex: patternRegex(entry.pattern) }))
  }

  match(channel: string): Entry | null {
    for (const { entry, regex } of this.#entries) {
      if (regex.test(channel)) return entry
    }
    return null
  }
}
