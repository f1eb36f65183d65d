import type { CompiledPattern } from './pattern.ts'
import { comparePatterns } from './precedence.ts'

/**
 * The reference matcher: every pattern's regex in precedence order, first match wins (the
 * approach of Laravel's channel routes, plus an explicit precedence). Used as the baseline in
 * the benchmark and as the oracle in property tests.
 */
export class LinearMatcher<Entry extends { pattern: CompiledPattern; order: number }> {
  #entries: Entry[]

  constructor(entries: Entry[]) {
    this.#entries = [...entries].sort(comparePatterns)
  }

  match(channel: string): Entry | null {
    for (const entry of this.#entries) {
      if (entry.pattern.regex.test(channel)) return entry
    }
    return null
  }
}
