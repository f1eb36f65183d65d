import type { Environment } from '@marcbachmann/cel-js'
import { compileExpression, type Evaluator } from './expression.ts'
import { canonicalId, MEMBER_ID_MAX_LENGTH } from './member.ts'
import { compileRule, type CompiledRule } from './rule.ts'

/** Pusher keeps the first 100 ids of a watchlist; the rest are never evaluated */
export const WATCHLIST_MAX_IDS = 100

/**
 * A compiled `user.watchlist`: the ids (`ids:`) and the rule each must pass (`allow:`,
 * with the candidate as `watched`), if any
 */
export interface CompiledWatchlist {
  ids: Evaluator
  allow: CompiledRule | null
}

/**
 * Compiles `ids` in the user environment and `allow` with `watched` (a string) added;
 * `onError` wraps an error with its position
 */
export function compileWatchlist(
  env: Environment,
  spec: { ids: string; allow: string | null },
  onError: (part: 'ids' | 'allow', error: unknown) => never
): CompiledWatchlist {
  let ids: Evaluator
  try {
    ids = compileExpression(env, spec.ids, { boolean: false }).evaluate
  } catch (error) {
    return onError('ids', error)
  }
  if (spec.allow === null) return { ids, allow: null }
  try {
    const ruleEnv = env.clone().registerVariable('watched', 'string')
    return { ids, allow: compileRule(ruleEnv, spec.allow) }
  } catch (error) {
    return onError('allow', error)
  }
}

/**
 * The watchlist of a user: the list `ids` gives, cut to its first 100 before anything is
 * evaluated, each a canonical id string (others dropped), each once, and only those the rule
 * allows (a false or an error denies that id). Throws the CEL error code when `ids` errors
 * or is not a list.
 */
export function evaluateWatchlist(
  watchlist: CompiledWatchlist,
  context: Record<string, unknown>
): string[] {
  const list = watchlist.ids(context)
  if (!Array.isArray(list)) throw Object.assign(new Error('not a list'), { code: 'not_a_list' })
  const ids = new Set<string>()
  for (const value of list.slice(0, WATCHLIST_MAX_IDS)) {
    const id = canonicalId(value)
    if (id === null || id.length > MEMBER_ID_MAX_LENGTH || ids.has(id)) continue
    if (!watchlist.allow || allows(watchlist.allow, { ...context, watched: id })) ids.add(id)
  }
  return [...ids]
}

/**
 * The rule's operands in order, each a real `true`; synchronous, as the user mapping is
 * (it has no predicates)
 */
function allows(rule: CompiledRule, context: Record<string, unknown>) {
  for (const conjunct of rule.conjuncts) {
    try {
      if (conjunct.evaluate(context) !== true) return false
    } catch {
      return false
    }
  }
  return true
}
