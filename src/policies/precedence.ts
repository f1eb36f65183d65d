import type { CompiledPattern } from './pattern.ts'

/**
 * Orders two patterns, most specific first. Tokens are compared position by position (each
 * literal character is one token): a literal beats `<x:int>`, which beats `<x>`, which beats `*`.
 * When one token list is a prefix of the other, the longer one wins. Remaining ties are
 * broken by load order (`order`: file order, then position in the file).
 *
 * A consequence the index relies on: a longer literal prefix always wins.
 */
export function comparePatterns(
  a: { pattern: CompiledPattern; order: number },
  b: { pattern: CompiledPattern; order: number }
): number {
  const ka = a.pattern.kinds
  const kb = b.pattern.kinds
  const length = Math.min(ka.length, kb.length)
  for (let i = 0; i < length; i++) {
    if (ka[i] !== kb[i]) return kb[i] - ka[i]
  }
  if (ka.length !== kb.length) return kb.length - ka.length
  return a.order - b.order
}
