/**
 * The shapes the pattern compiler (pattern.ts) produces and the matcher
 * (pattern_match.ts) walks, apart so neither imports the other for them
 */
export interface PatternParam {
  name: string
  type: 'string' | 'int' | 'uuid'
}

/**
 * What the matcher walks: runs of literal text, placeholders, and a trailing `*`
 */
export type PatternStep =
  { kind: 'literal'; text: string } | { kind: 'param'; param: PatternParam } | { kind: 'star' }

/**
 * A channel pattern, compiled
 */
export interface CompiledPattern {
  source: string
  /** Literal text before the first placeholder or `*` */
  literalPrefix: string
  /** True when the pattern has no placeholder and no `*` */
  exact: boolean
  presence: boolean
  params: PatternParam[]
  /** One kind per token (each literal character is a token) */
  kinds: number[]
  /** The pattern with parameter names erased: two patterns of the same shape match the same names */
  shape: string
  steps: PatternStep[]
  /**
   * True when no placeholder can end early (each is followed by the end or by text it cannot
   * hold): one greedy pass then decides, see `pattern_match.ts`
   */
  singlePass: boolean
}
