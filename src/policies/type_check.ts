import type { Environment } from '@marcbachmann/cel-js'
import { SourceTextError } from '../errors.ts'
import { closestName } from './closest_name.ts'
import type { UserShape } from './user_shape.ts'

const NUMBERS = new Set(['int', 'uint', 'double'])
const SCALARS = new Set(['string', 'bool', ...NUMBERS])
/** How an id is spelt when it compares equal to a number (see the id semantics) */
const CANONICAL_DECIMAL = /^(0|-?[1-9][0-9]*)$/

/** A `user.x` or `user['x']` read: the field name and the offset of the name */
function userField(node: any): { name: string; offset: number } | null {
  if ((node?.op !== '.' && node?.op !== '[]') || node.args[0]?.op !== 'id') return null
  if (node.args[0].args !== 'user') return null
  const key = node.args[1]
  if (typeof key === 'string') return { name: key, offset: node.range.end - key.length }
  if (key?.op === 'value' && typeof key.args === 'string') {
    return { name: key.args, offset: key.range.start }
  }
  return null
}

function* walk(node: any): Generator<any> {
  if (!node || typeof node !== 'object') return
  if (Array.isArray(node)) {
    for (const child of node) yield* walk(child)
    return
  }
  if (typeof node.op !== 'string') return
  yield node
  yield* walk(node.args)
}

function unknownField(shape: UserShape, name: string, offset: number): SourceTextError {
  if (shape.hidden.includes(name)) {
    return new SourceTextError(
      offset,
      `user.${name} is hidden from serialization (serializeAs: null) in ${shape.source}`,
      'rules read the serialized user, the same fields a browser could be sent'
    )
  }
  const known = Object.keys(shape.fields)
  const guess = closestName(name, known)
  return new SourceTextError(
    offset,
    `user has no field "${name}" in ${shape.source}`,
    `${guess ? `did you mean user.${guess}? ` : ''}fields: ${known.join(', ') || 'none'}` +
      '. A field serializeUser adds is declared in policies.user.fields'
  )
}

function typeOf(node: any): string | null {
  const name = node?.checkedType?.name
  return typeof name === 'string' ? name : null
}

/**
 * A comparison of a typed `user` field with a literal that can never be
 * equal: `user.role == 1`, or `user.id == 'abc'` (an id compares as a
 * canonical decimal string, so only `'42'`-like text can match a number)
 */
function wrongComparison(source: string, node: any, shape: UserShape): SourceTextError | null {
  if (node.op !== '==' && node.op !== '!=') return null
  for (const [fieldNode, other] of [node.args, [...node.args].reverse()]) {
    const field = userField(fieldNode)
    const fieldType = typeOf(fieldNode)
    if (!field || !fieldType || !SCALARS.has(fieldType) || other?.op !== 'value') continue
    const literal = source.slice(other.range.start, other.range.end)
    if (fieldType === 'string' && typeof other.args !== 'string' && other.args !== null) {
      return new SourceTextError(
        other.range.start,
        `user.${field.name} is a string in ${shape.source}, compared with ${literal}: never equal`,
        `quote it: user.${field.name} ${node.op} '${literal}'`
      )
    }
    if (NUMBERS.has(fieldType) && typeof other.args === 'string') {
      if (CANONICAL_DECIMAL.test(other.args)) continue
      return new SourceTextError(
        other.range.start,
        `user.${field.name} is a number (${fieldType}) in ${shape.source}, compared with ${literal}: never equal`,
        "a number equals only its canonical decimal text, e.g. 42 or '42'"
      )
    }
  }
  return null
}

/**
 * Type-checks an expression against the user's shape, in an environment
 * made with that shape (see typed_user.ts). Throws `SourceTextError` at the
 * misspelt field or the wrong-typed literal, with a hint.
 */
export function checkAgainstUserShape(env: Environment, source: string, shape: UserShape) {
  const parsed = env.parse(source)
  let result: any
  try {
    result = parsed.check()
  } catch (error: any) {
    result = { valid: false, error }
  }
  if (!result.valid) {
    const error = result.error
    const key = /^No such key: (.*)$/.exec(error.message?.split('\n')[0] ?? '')
    if (error.code === 'no_such_key' && key) {
      const read = [...walk(parsed.ast)].map(userField).find((field) => field?.name === key[1])
      throw unknownField(shape, key[1], read?.offset ?? error.range.start)
    }
    throw new SourceTextError(
      error.range?.start ?? 0,
      error.message.split('\n')[0],
      `with the user's types from ${shape.source}`
    )
  }
  for (const node of walk(parsed.ast)) {
    // `has(user.x)` checks nothing: an unknown field is always absent
    if (node.op === 'call' && node.args[0] === 'has') {
      const field = userField(node.args[1][0])
      if (field && !(field.name in shape.fields)) {
        throw unknownField(shape, field.name, field.offset)
      }
    }
    const problem = wrongComparison(source, node, shape)
    if (problem) throw problem
  }
}
