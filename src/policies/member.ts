import type { Environment } from '@marcbachmann/cel-js'
import { compileExpression, type Evaluator } from './expression.ts'
import { errorCode } from './rule.ts'
import type { PolicyMember } from './types.ts'

/** Pusher refuses longer presence user ids (the embedded server too) */
export const MEMBER_ID_MAX_LENGTH = 128

/** Pusher refuses larger `user_info`; refusing here gives a clear reason instead */
export const MEMBER_INFO_MAX_BYTES = 1024

/**
 * A compiled `member:` (or top-level `user:`) mapping
 */
export interface CompiledMapping {
  id: Evaluator
  info: Array<{ key: string; evaluate: Evaluator }>
}

/**
 * Compiles each expression of a mapping; `compile` wraps errors with the right position
 */
export function compileMapping(
  env: Environment,
  spec: { id: string; info: Array<{ key: string; source: string }> },
  onError: (index: number | 'id', error: unknown) => never
): CompiledMapping {
  let id: Evaluator
  try {
    id = compileExpression(env, spec.id, { boolean: false }).evaluate
  } catch (error) {
    return onError('id', error)
  }
  const info = spec.info.map((entry, index) => {
    try {
      return {
        key: entry.key,
        evaluate: compileExpression(env, entry.source, { boolean: false }).evaluate,
      }
    } catch (error) {
      return onError(index, error)
    }
  })
  return { id, info }
}

/**
 * A member id as Pusher wants it: a canonical string. Null when the value cannot be one.
 */
export function canonicalId(value: unknown): string | null {
  if (typeof value === 'string') return value.length ? value : null
  if (typeof value === 'bigint') return String(value)
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return null
}

/**
 * Converts a CEL value to JSON-safe plain data (CEL ints are BigInt, maps may be `Map`s).
 * Throws on anything else.
 */
export function toPlainData(value: unknown, depth = 0): unknown {
  if (depth > 16) throw new Error('too deep')
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('not finite')
    return value
  }
  if (typeof value === 'bigint') {
    return Number.isSafeInteger(Number(value)) ? Number(value) : String(value)
  }
  if (Array.isArray(value)) return value.map((item) => toPlainData(item, depth + 1))
  if (value instanceof Map) {
    const out: Record<string, unknown> = {}
    for (const [key, item] of value) {
      if (typeof key !== 'string') throw new Error('map key not a string')
      out[key] = toPlainData(item, depth + 1)
    }
    return out
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) throw new Error('not plain data')
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) out[key] = toPlainData(item, depth + 1)
    return out
  }
  throw new Error('not plain data')
}

/**
 * Evaluates a mapping. Returns the member, or a reason (without user data) when it fails.
 */
export async function evaluateMapping(
  mapping: CompiledMapping,
  context: Record<string, unknown>
): Promise<{ member: PolicyMember } | { reason: string; tooLarge?: true }> {
  let step = 'id'
  try {
    const id = canonicalId(await mapping.id(context))
    if (id === null) return { reason: 'member.id is not a non-empty string or a number' }
    if (id.length > MEMBER_ID_MAX_LENGTH) {
      return {
        reason: `member.id is ${id.length} characters long, over the ${MEMBER_ID_MAX_LENGTH}-character limit`,
        tooLarge: true,
      }
    }
    const info: Record<string, unknown> = {}
    for (const entry of mapping.info) {
      step = `info.${entry.key}`
      const value = await entry.evaluate(context)
      try {
        info[entry.key] = toPlainData(value)
      } catch {
        return { reason: `member.${step} is not JSON-serializable plain data` }
      }
    }
    const bytes = Buffer.byteLength(JSON.stringify(info))
    if (bytes > MEMBER_INFO_MAX_BYTES) {
      return {
        reason: `member.info is ${bytes} bytes of JSON, over the ${MEMBER_INFO_MAX_BYTES}-byte limit`,
        tooLarge: true,
      }
    }
    return { member: { id, info } }
  } catch (error) {
    return { reason: `member.${step} errored (${errorCode(error)})` }
  }
}
