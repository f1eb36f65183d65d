import type { Scalar } from 'yaml'
import { createBaseEnvironment, createPatternEnvironment } from './cel_environment.ts'
import { PolicyError, SourceTextError } from '../errors.ts'
import { compileMapping, type CompiledMapping } from './member.ts'
import { compilePattern, type CompiledPattern } from './pattern.ts'
import type { MappingSpec, PolicyFileSpec } from './policy_file.ts'
import { compileRule, type CompiledRule } from './rule.ts'
import type { FileLocator } from './source_position.ts'
import type { PolicyPredicate } from './types.ts'

/**
 * One compiled channel policy
 */
export interface PolicyEntry {
  pattern: CompiledPattern
  /** Load order (file order, then position in the file): the last precedence tie-break */
  order: number
  kind: 'allow' | 'deny'
  rule: CompiledRule | null
  member: CompiledMapping | null
  clientEvents: boolean
  file: string
  line: number
}

/**
 * Everything compiled from a set of policy files
 */
export interface CompiledPolicies {
  entries: PolicyEntry[]
  user: CompiledMapping | null
}

function toPolicyError(locator: FileLocator, node: Scalar, error: unknown): never {
  if (error instanceof SourceTextError) {
    throw new PolicyError(locator.inScalar(node, error.offset), error.message, error.hint)
  }
  throw error
}

function compileMappingAt(
  locator: FileLocator,
  env: ReturnType<typeof createBaseEnvironment>,
  spec: MappingSpec,
  label: string
) {
  return compileMapping(
    env,
    {
      id: spec.id.source,
      info: spec.info.map((entry) => ({ key: entry.key, source: entry.expression.source })),
    },
    (index, error) => {
      const node = index === 'id' ? spec.id.node : spec.info[index].expression.node
      if (error instanceof SourceTextError) error.message = `${label}: ${error.message}`
      return toPolicyError(locator, node, error)
    }
  )
}

/**
 * Compiles parsed policy files: patterns, rules and mappings, all at once, so a policy never
 * starts half-loaded. Duplicate patterns (same shape, param names aside) are an error naming
 * both places.
 */
export function compilePolicies(
  files: PolicyFileSpec[],
  predicates: Map<string, PolicyPredicate>
): CompiledPolicies {
  const base = createBaseEnvironment(predicates)
  const entries: PolicyEntry[] = []
  const seen = new Map<string, PolicyEntry>()
  let user: CompiledMapping | null = null
  let userFile: string | null = null

  for (const file of files) {
    const { locator } = file
    for (const spec of file.channels) {
      let pattern: CompiledPattern
      try {
        pattern = compilePattern(spec.pattern)
      } catch (error) {
        toPolicyError(locator, spec.keyNode, error)
      }
      const position = locator.node(spec.keyNode)
      const duplicate = seen.get(pattern.shape)
      if (duplicate) {
        throw new PolicyError(
          position,
          `duplicate pattern "${spec.pattern}": "${duplicate.pattern.source}" is already defined at ${duplicate.file}:${duplicate.line}`,
          'patterns that differ only in placeholder names match the same channels; keep one'
        )
      }

      const env = createPatternEnvironment(base, pattern.params)
      let rule: CompiledRule | null = null
      if (spec.rule) {
        try {
          rule = compileRule(env, spec.rule.source)
        } catch (error) {
          if (error instanceof SourceTextError) error.message = `${spec.pattern}: ${error.message}`
          toPolicyError(locator, spec.rule.node, error)
        }
      }
      const member = spec.member
        ? compileMappingAt(locator, env, spec.member, `${spec.pattern}: member`)
        : null

      const entry: PolicyEntry = {
        pattern,
        order: entries.length,
        kind: spec.kind,
        rule,
        member,
        clientEvents: spec.clientEvents,
        file: position.file,
        line: position.line,
      }
      seen.set(pattern.shape, entry)
      entries.push(entry)
    }

    if (file.user) {
      if (userFile) {
        throw new PolicyError(
          locator.node(file.userNode!),
          `a "user" mapping is already defined in ${userFile}`,
          'keep one "user:" mapping across all policy files'
        )
      }
      userFile = locator.file
      // No predicates: user sign-in data is computed synchronously
      const userEnv = createBaseEnvironment(null).clone()
      user = compileMappingAt(locator, userEnv, file.user, 'user')
    }
  }
  return { entries, user }
}
