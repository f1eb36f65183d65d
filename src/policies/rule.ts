import type { Environment } from '@marcbachmann/cel-js'
import { compileExpression, type Evaluator } from './expression.ts'

/**
 * A compiled `allow:` rule, split into its top-level `&&` operands. They run one after the
 * other, so a costly predicate in a later operand runs only when the earlier ones are true,
 * and a denial names the exact condition that failed.
 */
export interface CompiledRule {
  source: string
  conjuncts: Array<{ text: string; evaluate: Evaluator; userField: string | null }>
}

/**
 * Outcome of a rule: allowed, or the condition that failed and why. `userField` is the first
 * field of `user` the condition reads (`user.role`), to explain an error for a guest.
 */
export type RuleOutcome =
  | { allowed: true }
  | { allowed: false; condition: string; error: string | null; userField: string | null }

function flattenAnd(node: any, out: any[]) {
  if (node.op === '&&') {
    flattenAnd(node.args[0], out)
    flattenAnd(node.args[1], out)
  } else {
    out.push(node)
  }
  return out
}

/**
 * The first `user.x` (or `user['x']`) the expression reads, as `user.x`, or null
 */
function firstUserField(node: any): string | null {
  if (!node || typeof node !== 'object') return null
  if (Array.isArray(node)) {
    for (const child of node) {
      const found = firstUserField(child)
      if (found) return found
    }
    return null
  }
  if ((node.op === '.' || node.op === '[]') && node.args[0]?.op === 'id') {
    const [receiver, field] = node.args
    const key = typeof field === 'string' ? field : field?.op === 'value' ? field.args : null
    if (receiver.args === 'user' && typeof key === 'string') return `user.${key}`
  }
  return firstUserField(node.args)
}

/**
 * Compiles a rule (parse + check). Throws `SourceTextError` on the first problem.
 */
export function compileRule(env: Environment, source: string): CompiledRule {
  const whole = compileExpression(env, source, { boolean: true })
  const nodes = flattenAnd(whole.ast, [])
  if (nodes.length > 1) {
    try {
      const conjuncts = nodes.map((node) => {
        const text = source.slice(node.range.start, node.range.end)
        const { evaluate } = compileExpression(env, text, { boolean: true })
        return { text, evaluate, userField: firstUserField(node) }
      })
      return { source, conjuncts }
    } catch {
      // Unusual operand ranges: fall back to the rule as one condition, same outcome
    }
  }
  return {
    source,
    conjuncts: [
      { text: source.trim(), evaluate: whole.evaluate, userField: firstUserField(whole.ast) },
    ],
  }
}

function denied(conjunct: CompiledRule['conjuncts'][number], error: string | null): RuleOutcome {
  return { allowed: false, condition: conjunct.text, error, userField: conjunct.userField }
}

/**
 * Evaluates a rule. Only a real boolean `true` from every operand allows; any evaluation error
 * denies, and the outcome carries the CEL error code, never the context (it holds user data).
 */
export async function evaluateRule(
  rule: CompiledRule,
  context: Record<string, unknown>
): Promise<RuleOutcome> {
  for (const conjunct of rule.conjuncts) {
    try {
      let value = conjunct.evaluate(context)
      if (value instanceof Promise) value = await value
      if (value !== true) return denied(conjunct, null)
    } catch (error: any) {
      return denied(conjunct, errorCode(error))
    }
  }
  return { allowed: true }
}

/**
 * The code of an evaluation error (e.g. `no_such_key`), or a generic one
 */
export function errorCode(error: any): string {
  const code = error?.code ?? error?.cause?.code
  return typeof code === 'string' && /^[a-z_]+$/.test(code) ? code : 'evaluation_error'
}
