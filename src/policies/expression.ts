import type { Environment } from '@marcbachmann/cel-js'
import { RULE_MAX_LENGTH } from './cel_environment.ts'
import { SourceTextError } from './errors.ts'

/**
 * A compiled CEL expression; may return a Promise when an async predicate takes part
 */
export type Evaluator = (context: Record<string, unknown>) => unknown

/** Functions CEL itself provides, so an unknown call name means a missing predicate */
function definedFunctions(env: Environment) {
  return new Set(env.getDefinitions().functions.map((fn: { name: string }) => fn.name))
}

function firstLine(message: string) {
  return message.split('\n')[0]
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
