import type { Environment } from '@marcbachmann/cel-js'
import { RULE_MAX_LENGTH } from './cel_environment.ts'
import { RE2_MATCHES, rewriteMatches } from './cel_regex.ts'
import { SourceTextError } from '../errors.ts'
import { INPUT_LIMITS } from './input_bounds.ts'
import { RULE_MAX_STEPS, estimateSteps } from './rule_cost.ts'

/**
 * A compiled CEL expression; may return a Promise when an async predicate takes part
 */
export type Evaluator = (context: Record<string, unknown>) => unknown

/** Functions CEL itself provides, so an unknown call name means a missing predicate */
function definedFunctions(env: Environment) {
  return new Set(env.getDefinitions().functions.map((fn: { name: string }) => fn.name))
}

/** The first line of a CEL message, naming `matches` as the rule wrote it */
function firstLine(message: string) {
  return message.split('\n')[0].replaceAll(RE2_MATCHES, 'matches')
}

function findUnknownCall(node: any, known: Set<string>): any {
  if (!node || typeof node !== 'object') return null
  if (node.op === 'call' && !known.has(node.args[0])) return node
  const children = Array.isArray(node.args) ? node.args.flat(2) : []
  for (const child of children) {
    const found = findUnknownCall(child, known)
    if (found) return found
  }
  return null
}

/**
 * Parses and type-checks an expression once. Throws `SourceTextError` with the offset of the
 * offending character and a hint.
 */
export function compileExpression(
  env: Environment,
  source: string,
  options: { boolean: boolean }
): { evaluate: Evaluator; ast: any } {
  if (source.length > RULE_MAX_LENGTH) {
    throw new SourceTextError(RULE_MAX_LENGTH, `rule is longer than ${RULE_MAX_LENGTH} characters`)
  }
  if (!source.trim())
    throw new SourceTextError(0, 'empty rule', 'write a CEL condition, e.g. user != null')

  let parsed: any
  try {
    parsed = env.parse(source)
  } catch (error: any) {
    throw new SourceTextError(error.range?.start ?? 0, firstLine(error.message), syntaxHint(error))
  }
  const invalid = rewriteMatches(parsed.ast)
  if (invalid) {
    throw new SourceTextError(
      invalid.offset,
      `invalid regular expression in matches(): ${invalid.message}`,
      'matches() uses RE2 syntax (no backreferences, no lookaround); a backslash is written twice in a CEL string'
    )
  }

  let result: any
  try {
    result = parsed.check()
  } catch (error: any) {
    result = { valid: false, error }
  }
  if (!result.valid) {
    const error = result.error
    if (error.code === 'no_matching_overload') {
      const call = findUnknownCall(parsed.ast, definedFunctions(env))
      if (call) {
        const name = call.args[0]
        throw new SourceTextError(
          call.range.start,
          `unknown function "${name}"`,
          `register the predicate before the policies load: ChannelPolicies.load(path, { predicates: { ${name} } }) (what policies.define('${name}', fn) feeds)`
        )
      }
    }
    throw new SourceTextError(
      error.range?.start ?? 0,
      firstLine(error.message),
      typeHint(error, env)
    )
  }
  const type = String(result.type)
  if (options.boolean && type !== 'bool' && type !== 'dyn') {
    throw new SourceTextError(
      0,
      `rule must be a condition (bool), this one is ${type}`,
      'e.g. user.id == userId'
    )
  }
  const steps = estimateSteps(parsed.ast)
  if (steps > RULE_MAX_STEPS) {
    throw new SourceTextError(
      0,
      `rule may take up to ${steps} steps, over the budget of ${RULE_MAX_STEPS} (a macro walks up to ${INPUT_LIMITS.listEntries} entries, matches() scans up to ${INPUT_LIMITS.stringLength} characters)`,
      'nest fewer macros (exists, all, map, filter) and avoid matches() or `in` inside them; compute the value in serializeUser or a predicate instead'
    )
  }
  return { evaluate: parsed, ast: parsed.ast }
}

function syntaxHint(error: any) {
  if (error.code === 'unterminated_string') return 'close the string with the same quote'
  return 'CEL syntax: ==, !=, &&, ||, !, in, has(user.x), list.exists(x, cond), strings in quotes'
}

/** Declared variable names; CEL's own type names come first, ours start at `user` */
function declared(env: Environment): string[] {
  return (env.getDefinitions().variables as Array<{ name: string }>).map((v) => v.name)
}

function typeHint(error: any, env: Environment) {
  if (error.code === 'unknown_variable') {
    const name = firstLine(error.message).replace('Unknown variable: ', '')
    const start = declared(env).indexOf('user')
    const names = declared(env).slice(start === -1 ? 0 : start)
    return `to compare with the text, quote it: '${name}'. Known names: ${names.join(', ')}`
  }
  return undefined
}
