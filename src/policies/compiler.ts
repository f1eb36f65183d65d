import type { Scalar } from 'yaml'
import { createBaseEnvironment, patternEnvironments } from './cel_environment.ts'
import { PolicyError, SourceTextError } from '../errors.ts'
import { compileMapping, type CompiledMapping } from './member.ts'
import { compilePattern, type CompiledPattern } from './pattern.ts'
import type { MappingSpec, PolicyFileSpec, WatchlistSpec } from './policy_file.ts'
import { compileRule, type CompiledRule } from './rule.ts'
import type { FileLocator } from './source_position.ts'
import { checkAgainstUserShape } from './type_check.ts'
import type { PolicyPredicate, SourcePosition } from './types.ts'
import type { UserShape } from './user_shape.ts'
import { compileWatchlist, type CompiledWatchlist } from './watchlist.ts'

/** An environment with a typed `user`, to check rules against the user's shape */
type TypedCheck = { env: ReturnType<typeof createBaseEnvironment>; shape: UserShape } | null

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
  column: number
  /** The expressions as written, where they are (for the analyzer) */
  sources: {
    rule: { text: string; position: SourcePosition } | null
    member: Array<{ text: string; position: SourcePosition }>
  }
}

/**
 * Everything compiled from a set of policy files
 */
export interface CompiledPolicies {
  entries: PolicyEntry[]
  user: CompiledMapping | null
  /** The `user:` mapping's `watchlist`, if any */
  watchlist: CompiledWatchlist | null
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
  label: string,
  typed: TypedCheck
) {
  const onError = (index: number | 'id', error: unknown): never => {
    const node = index === 'id' ? spec.id.node : spec.info[index].expression.node
    if (error instanceof SourceTextError) error.message = `${label}: ${error.message}`
    return toPolicyError(locator, node, error)
  }
  const mapping = compileMapping(
    env,
    {
      id: spec.id.source,
      info: spec.info.map((entry) => ({ key: entry.key, source: entry.expression.source })),
    },
    onError
  )
  if (typed) {
    const expressions = [spec.id, ...spec.info.map((entry) => entry.expression)]
    expressions.forEach((expression, index) => {
      try {
        checkAgainstUserShape(typed.env, expression.source, typed.shape)
      } catch (error) {
        onError(index === 0 ? 'id' : index - 1, error)
      }
    })
  }
  return mapping
}

function compileWatchlistAt(
  locator: FileLocator,
  env: ReturnType<typeof createBaseEnvironment>,
  spec: WatchlistSpec,
  typed: TypedCheck
) {
  const onError = (part: 'ids' | 'allow', error: unknown): never => {
    if (error instanceof SourceTextError) error.message = `user.watchlist.${part}: ${error.message}`
    return toPolicyError(locator, part === 'ids' ? spec.ids.node : spec.allow!.node, error)
  }
  const watchlist = compileWatchlist(
    env,
    { ids: spec.ids.source, allow: spec.allow?.source ?? null },
    onError
  )
  if (typed) {
    try {
      checkAgainstUserShape(typed.env, spec.ids.source, typed.shape)
    } catch (error) {
      onError('ids', error)
    }
    if (spec.allow) {
      try {
        const ruleEnv = typed.env.clone().registerVariable('watched', 'string')
        checkAgainstUserShape(ruleEnv, spec.allow.source, typed.shape)
      } catch (error) {
        onError('allow', error)
      }
    }
  }
  return watchlist
}

/**
 * Compiles parsed policy files: patterns, rules and mappings, all at once, so a policy never
 * starts half-loaded. Duplicate patterns (same shape, param names aside) are an error naming
 * both places. With a user shape, every expression is also type-checked against it (a
 * separate environment: evaluation stays as without one).
 */
export function compilePolicies(
  files: PolicyFileSpec[],
  predicates: Map<string, PolicyPredicate>,
  userShape: UserShape | null = null
): CompiledPolicies {
  const envFor = patternEnvironments(createBaseEnvironment(predicates))
  const typedEnvFor = userShape
    ? patternEnvironments(createBaseEnvironment(predicates, userShape))
    : null
  const entries: PolicyEntry[] = []
  const seen = new Map<string, PolicyEntry>()
  let user: CompiledMapping | null = null
  let watchlist: CompiledWatchlist | null = null
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

      const env = envFor(pattern.params)
      const typed: TypedCheck = typedEnvFor && {
        env: typedEnvFor(pattern.params),
        shape: userShape!,
      }
      let rule: CompiledRule | null = null
      if (spec.rule) {
        try {
          rule = compileRule(env, spec.rule.source)
          if (typed) checkAgainstUserShape(typed.env, spec.rule.source, typed.shape)
        } catch (error) {
          if (error instanceof SourceTextError) error.message = `${spec.pattern}: ${error.message}`
          toPolicyError(locator, spec.rule.node, error)
        }
      }
      const member = spec.member
        ? compileMappingAt(locator, env, spec.member, `${spec.pattern}: member`, typed)
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
        column: position.column,
        sources: {
          rule: spec.rule && {
            text: spec.rule.source,
            position: locator.inScalar(spec.rule.node, 0),
          },
          member: spec.member
            ? [spec.member.id, ...spec.member.info.map((info) => info.expression)].map(
                (expression) => ({
                  text: expression.source,
                  position: locator.inScalar(expression.node, 0),
                })
              )
            : [],
        },
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
      const typed: TypedCheck = userShape && {
        env: createBaseEnvironment(null, userShape),
        shape: userShape,
      }
      user = compileMappingAt(locator, userEnv, file.user, 'user', typed)
      if (file.user.watchlist) {
        watchlist = compileWatchlistAt(locator, userEnv, file.user.watchlist, typed)
      }
    }
  }
  return { entries, user, watchlist }
}
