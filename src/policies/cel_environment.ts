import { Environment } from '@marcbachmann/cel-js'
import { RuleFunctionError } from '../errors.ts'
import { RE2_MATCHES, re2Matches } from './cel_regex.ts'
import type { PatternParam } from './pattern.ts'
import type { PolicyPredicate } from './types.ts'
import { declareUser } from './typed_user.ts'
import type { UserShape } from './user_shape.ts'

/** Rules are written by developers, yet cheap caps keep a typo from costing a boot */
export const RULE_MAX_LENGTH = 4096
const LIMITS = {
  maxDepth: 32,
  maxAstNodes: 2000,
  maxListElements: 200,
  maxMapEntries: 200,
  maxCallArguments: 8,
}
/** Predicates are registered for 1 to this many arguments (user first, by convention) */
const PREDICATE_MAX_ARITY = 6

/**
 * The base environment: `user` (dyn, null for guests), `channel`, `socketId`, the
 * canonical-decimal id equality (`42 == '42'`, never `'042'`), and one function per predicate.
 * Predicates are looked up by name at call time, so `define` can replace an implementation.
 * With a user shape, `user` is typed: such an environment type-checks and never evaluates.
 */
export function createBaseEnvironment(
  predicates: Map<string, PolicyPredicate> | null,
  userShape: UserShape | null = null
) {
  const env = declareUser(new Environment({ limits: LIMITS }), userShape)
    .registerVariable('channel', 'string')
    .registerVariable('socketId', 'string')
    .registerOperator('double == string', (a: number, b: string) => {
      return Number.isSafeInteger(a) && String(a) === b
    })
    .registerOperator('int == string', (a: bigint, b: string) => String(a) === b)
    // `matches()` calls are pointed here at compile time (see cel_regex.ts)
    .registerFunction(`string.${RE2_MATCHES}(string): bool`, re2Matches)

  for (const name of predicates?.keys() ?? []) {
    const call = (...args: unknown[]) => {
      const predicate = predicates!.get(name)!
      let result: unknown
      try {
        result = predicate(...(args as [any]))
      } catch {
        throw new RuleFunctionError(`predicate ${name} threw`, 'predicate_failed')
      }
      if (result instanceof Promise) {
        return result.then(
          (value) => expectBoolean(name, value),
          () => {
            throw new RuleFunctionError(`predicate ${name} rejected`, 'predicate_failed')
          }
        )
      }
      return expectBoolean(name, result)
    }
    for (let arity = 1; arity <= PREDICATE_MAX_ARITY; arity++) {
      env.registerFunction(`${name}(${Array(arity).fill('dyn').join(', ')}): bool`, call)
    }
  }
  return env
}

function expectBoolean(name: string, value: unknown) {
  if (typeof value !== 'boolean')
    throw new RuleFunctionError(`predicate ${name} returned a non-boolean`, 'predicate_failed')
  return value
}

/**
 * A pattern's own environment: the base plus that pattern's params (`<x>` and `<x:uuid>`
 * string, `<x:int>` int)
 */
export function createPatternEnvironment(base: Environment, params: PatternParam[]) {
  const env = base.clone()
  for (const param of params) {
    env.registerVariable(param.name, param.type === 'int' ? 'int' : 'string')
  }
  return env
}

/**
 * `createPatternEnvironment`, shared by patterns declaring the same params: an environment
 * costs kilobytes, which a file of 20,000 patterns would hold 20,000 times (and collect
 * garbage over). Environments are not changed once made, so sharing one is safe.
 */
export function patternEnvironments(base: Environment) {
  const made = new Map<string, Environment>()
  return (params: PatternParam[]): Environment => {
    const key = params.map((p) => `${p.name}:${p.type === 'int' ? 'int' : 'string'}`).join(',')
    let env = made.get(key)
    if (!env) {
      env = createPatternEnvironment(base, params)
      made.set(key, env)
    }
    return env
  }
}
