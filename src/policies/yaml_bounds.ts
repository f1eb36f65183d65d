import { isMap, isPair, isScalar, isSeq, type CST, type Scalar } from 'yaml'
import { PolicyError } from '../errors.ts'

/**
 * Largest policy or policy test file. Files are hand-written and placeholders
 * (`private-team.<id:int>`) replace one pattern per id; 20,000 patterns with
 * rules are about 1.1 MB. A folder may hold several files, each under the
 * limit. Parsing is linear: the worst 2 MiB takes a few seconds, not minutes.
 */
export const MAX_POLICY_FILE_BYTES = 2 * 1024 * 1024

/**
 * Deepest nesting of maps and lists in a policy or policy test file. A policy
 * needs 5 levels (the file, channels, a pattern, member, info); the yaml
 * composer recurses per level and overflowed the stack below 1,000.
 */
export const MAX_YAML_DEPTH = 64

/**
 * The first collection (in file order) nested deeper than MAX_YAML_DEPTH in a
 * document's syntax tree, or null. Walks with its own stack: nothing here
 * recurses, and nothing below the limit is visited.
 */
export function tooDeep(token: CST.Token): CST.Token | null {
  const stack: Array<{ token: CST.Token | null | undefined; depth: number }> = [{ token, depth: 0 }]
  let first: CST.Token | null = null
  while (stack.length) {
    const { token: current, depth } = stack.pop()!
    if (!current) continue
    if (current.type === 'document') {
      stack.push({ token: current.value, depth })
    } else if (
      current.type === 'block-map' ||
      current.type === 'block-seq' ||
      current.type === 'flow-collection'
    ) {
      if (depth + 1 > MAX_YAML_DEPTH) {
        if (!first || current.offset < first.offset) first = current
        continue
      }
      for (const item of current.items) {
        stack.push({ token: item.key, depth: depth + 1 }, { token: item.value, depth: depth + 1 })
      }
    }
  }
  return first
}

/**
 * The first key (in file order) repeated in one of the document's maps, with
 * the key it repeats, or null. One pass with a Map per map: yaml's own
 * `uniqueKeys` compares each key with every earlier one, quadratic in a map's
 * size. Keys compare as yaml compares them: scalars by value.
 */
export function duplicateKey(root: unknown): { key: Scalar; first: Scalar } | null {
  const stack: unknown[] = [root]
  let found: { key: Scalar; first: Scalar } | null = null
  const offset = (node: Scalar) => node.range?.[0] ?? 0
  while (stack.length) {
    const node = stack.pop()
    if (isMap(node)) {
      const seen = new Map<unknown, Scalar>()
      for (const pair of node.items) {
        if (isScalar(pair.key)) {
          const first = seen.get(pair.key.value)
          if (!first) seen.set(pair.key.value, pair.key)
          else if (!found || offset(pair.key) < offset(found.key)) found = { key: pair.key, first }
        }
        stack.push(pair.key, pair.value)
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item)
    } else if (isPair(node)) {
      stack.push(node.key, node.value)
    }
  }
  return found
}

/**
 * The error for a file of `bytes` over MAX_POLICY_FILE_BYTES, or null
 */
export function fileSizeError(file: string, bytes: number, kind: 'policy' | 'test') {
  if (bytes <= MAX_POLICY_FILE_BYTES) return null
  return new PolicyError(
    { file, line: 1, column: 1 },
    `the file is ${bytes} bytes, over the ${MAX_POLICY_FILE_BYTES}-byte (${MAX_POLICY_FILE_BYTES / 2 ** 20} MiB) limit of a ${kind === 'policy' ? 'policy' : 'policy test'} file`,
    kind === 'policy'
      ? 'split it into several files under the policies folder, or use placeholders (private-team.<id:int>) instead of one pattern per id'
      : 'split the cases over several *.test.yaml files'
  )
}
