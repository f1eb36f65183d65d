import { Environment } from '@marcbachmann/cel-js'
import { RuntimeException } from '@adonisjs/core/exceptions'
import type { UserShape } from './user_shape.ts'

/** The CEL type of `user` in a type-checking environment */
export const USER_TYPE = 'PolicyUser'

/**
 * Declares `user` on an environment: `dyn` to evaluate, or, to type-check
 * against a shape, an object type with the shape's fields.
 *
 * A typed environment only checks and never evaluates: cel-js would convert
 * every user snapshot to the declared type, a cost on each decision. So it
 * also accepts what the dyn environment evaluates without error: a null
 * check on any field (a column may be null) and numbers of either kind.
 */
export function declareUser(env: Environment, shape: UserShape | null) {
  if (!shape) return env.registerVariable('user', 'dyn')

  for (const [field, type] of Object.entries(shape.fields)) {
    try {
      new Environment().registerVariable('x', type)
    } catch {
      throw new RuntimeException(
        `Invalid type "${type}" for user.${field} in ${shape.source}: use a CEL type (string, int, double, bool, list<int>, map<string, dyn>, dyn)`
      )
    }
  }
  env.registerType(USER_TYPE, { fields: shape.fields })
  env.registerVariable('user', USER_TYPE)
  for (const type of [USER_TYPE, 'string', 'int', 'uint', 'double', 'bool', 'list', 'map']) {
    env.registerOperator(`${type} == null`, () => false)
  }
  env.registerOperator('int == double', () => false)
  return env
}
