import { compilePolicies, type CompiledPolicies, type PolicyEntry } from './compiler.ts'
import { INPUT_LIMITS, snapshotProblem } from './input_bounds.ts'
import { readPolicySources } from './loader.ts'
import { IndexedMatcher } from './matcher.ts'
import { evaluateMapping } from './member.ts'
import { userDataOf, type CompiledUser, type SignInUserData } from './user_data.ts'
import { isValidChannelName, matchPattern } from './pattern.ts'
import { parsePolicyFile } from './policy_file.ts'
import { evaluateRule, type RuleOutcome } from './rule.ts'
import type {
  PolicyContext,
  PolicyDecision,
  PolicyListing,
  PolicyLoadOptions,
  PolicyPredicate,
  PolicyUser,
} from './types.ts'
import type { UserShape } from './user_shape.ts'

function deny(pattern: string | null, reason: string): PolicyDecision {
  return { allowed: false, pattern, reason, member: null, clientEvents: false }
}

/**
 * Why a rule denied. A guest's error on a `user.x` read says there is no signed-in user
 * rather than `no_such_key`.
 */
function ruleDenial(
  pattern: string,
  outcome: Exclude<RuleOutcome, { allowed: true }>,
  user: PolicyUser
) {
  if (outcome.error && user === null && outcome.userField) {
    return `"${pattern}": no signed-in user (rule reads ${outcome.userField})`
  }
  return outcome.error
    ? `"${pattern}": condition \`${outcome.condition}\` errored (${outcome.error})`
    : `"${pattern}": condition \`${outcome.condition}\` is false`
}

/**
 * Which way a decision went inside its pattern, for coverage: the rule allowed, a condition
 * (by index) was false or errored, the member mapping failed, or the pattern has no rule
 */
export type DecisionBranch = 'allowed' | number | 'member' | 'decided'

/**
 * A pattern as coverage sees it: where it is and the branches it has
 */
export interface CoverageTarget {
  pattern: string
  file: string
  line: number
  /** The rule's top-level `&&` conditions; empty without a rule */
  conditions: string[]
}

/**
 * Channel authorization policies loaded from YAML files: compiled once, indexed, and asked
 * for a decision per subscription.
 *
 * Predicates must exist before rules compile (an unknown function fails the load), so pass
 * them in `options.predicates`. `define` on a loaded instance replaces an implementation, or
 * adds one that later reloads (`watchPolicies`, `reload`) will know.
 */
export class ChannelPolicies {
  #user: CompiledUser | null
  #matcher: IndexedMatcher<PolicyEntry>
  #predicates: Map<string, PolicyPredicate>
  #paths: string | string[] | null
  #userShape: UserShape | null

  private constructor(
    compiled: CompiledPolicies,
    predicates: Map<string, PolicyPredicate>,
    paths: string | string[] | null,
    userShape: UserShape | null
  ) {
    this.#user = compiled.user && { mapping: compiled.user, watchlist: compiled.watchlist }
    this.#matcher = new IndexedMatcher(compiled.entries)
    this.#predicates = predicates
    this.#paths = paths
    this.#userShape = userShape
  }

  /**
   * Loads a policy file, or every `*.yaml` / `*.yml` under a folder (merged). Throws
   * `PolicyError` with `file:line:col` on the first problem.
   */
  static async load(pathOrPaths: string | string[], options: PolicyLoadOptions = {}) {
    const sources = await readPolicySources(pathOrPaths)
    const predicates = new Map(Object.entries(options.predicates ?? {}))
    const files = sources.map(({ source, file }) => parsePolicyFile(source, file))
    const userShape = options.userShape ?? null
    return new ChannelPolicies(
      compilePolicies(files, predicates, userShape),
      predicates,
      pathOrPaths,
      userShape
    )
  }

  /**
   * Compiles policies from YAML text (tests, `broadcast:check`)
   */
  static fromSource(source: string, file = 'policies.yaml', options: PolicyLoadOptions = {}) {
    const predicates = new Map(Object.entries(options.predicates ?? {}))
    const userShape = options.userShape ?? null
    return new ChannelPolicies(
      compilePolicies([parsePolicyFile(source, file)], predicates, userShape),
      predicates,
      null,
      userShape
    )
  }

  /**
   * Registers a named predicate. Rules are compiled at load, so a predicate a rule calls must
   * already be passed in `options.predicates`; here it replaces that implementation (e.g. a
   * fake in tests) or is kept for the next `reload`.
   */
  define(name: string, predicate: PolicyPredicate): this {
    this.#predicates.set(name, predicate)
    return this
  }

  /**
   * Predicates known to this instance, to load a new version with
   */
  get predicates(): Record<string, PolicyPredicate> {
    return Object.fromEntries(this.#predicates)
  }

  /**
   * Loads the same files again with the same predicates. Throws `PolicyError`.
   */
  async reload(): Promise<ChannelPolicies> {
    if (!this.#paths) throw new Error('policies built from source cannot be reloaded')
    return ChannelPolicies.load(this.#paths, {
      predicates: this.predicates,
      userShape: this.#userShape,
    })
  }

  /**
   * Whether members may send client events on a channel they joined: the deciding pattern
   * allows and says `clientEvents: true`. Matching only, no rule: subscribing was authorized.
   */
  clientEventsAllowed(channel: string): boolean {
    if (typeof channel !== 'string' || !isValidChannelName(channel)) return false
    const entry = this.#matcher.match(channel)
    return Boolean(entry && entry.kind !== 'deny' && entry.clientEvents)
  }

  /**
   * Decides whether `context.user` may subscribe to `channel`. Never throws: errors deny.
   */
  decide(channel: string, context: PolicyContext): Promise<PolicyDecision> {
    return this.#decide(channel, context, null)
  }

  /**
   * `decide`, telling which branch of the deciding pattern was taken (policy tests' coverage)
   */
  async trace(
    channel: string,
    context: PolicyContext
  ): Promise<{ decision: PolicyDecision; branch: DecisionBranch | null }> {
    const trace: { branch: DecisionBranch | null } = { branch: null }
    const decision = await this.#decide(channel, context, trace)
    return { decision, branch: trace.branch }
  }

  /**
   * The compiled entries in the order they are tried, and the user's shape, for the analyzer
   */
  analysisInput(): { entries: PolicyEntry[]; userShape: UserShape | null } {
    return { entries: this.#matcher.ordered(), userShape: this.#userShape }
  }

  /**
   * Every pattern with its rule's conditions, in the order they are tried
   */
  coverageTargets(): CoverageTarget[] {
    return this.#matcher.ordered().map((entry) => ({
      pattern: entry.pattern.source,
      file: entry.file,
      line: entry.line,
      conditions: entry.rule?.conjuncts.map((conjunct) => conjunct.text) ?? [],
    }))
  }

  async #decide(
    channel: string,
    context: PolicyContext,
    trace: { branch: DecisionBranch | null } | null
  ): Promise<PolicyDecision> {
    if (typeof channel !== 'string' || !isValidChannelName(channel)) {
      return deny(null, `"${String(channel).slice(0, 200)}" is not a valid channel name`)
    }
    const entry = this.#matcher.match(channel)
    if (!entry) return deny(null, `no policy pattern matches "${channel}"`)
    const pattern = entry.pattern.source
    if (trace) trace.branch = entry.rule ? 'allowed' : 'decided'
    if (entry.kind === 'deny') return deny(pattern, `"${pattern}" denies (deny: true)`)

    const cel = {
      user: context.user ?? null,
      channel,
      socketId: context.socketId ?? '',
      ...matchPattern(entry.pattern, channel),
    }
    // Rules run in bounded time only on bounded input (see input_bounds.ts)
    const problem =
      snapshotProblem(cel.user) ??
      (String(cel.socketId).length > INPUT_LIMITS.stringLength ? 'socket id too long' : null)
    if (problem && (entry.rule || entry.member)) {
      if (trace) trace.branch = null
      return deny(pattern, `"${pattern}": ${problem}`)
    }
    if (entry.rule) {
      const outcome = await evaluateRule(entry.rule, cel)
      if (!outcome.allowed) {
        if (trace)
          trace.branch = entry.rule.conjuncts.findIndex((c) => c.text === outcome.condition)
        return deny(pattern, ruleDenial(pattern, outcome, cel.user))
      }
    }

    let member = null
    if (entry.member) {
      const result = await evaluateMapping(entry.member, cel)
      if ('reason' in result) {
        if (trace) trace.branch = 'member'
        const denial = deny(pattern, `"${pattern}": ${result.reason}`)
        return result.tooLarge ? { ...denial, memberTooLarge: true } : denial
      }
      member = result.member
    }
    return {
      allowed: true,
      pattern,
      reason: entry.rule
        ? `"${pattern}" allows: ${entry.rule.source.trim()}`
        : `"${pattern}" allows everyone`,
      member,
      clientEvents: entry.clientEvents,
    }
  }

  /**
   * User data for Pusher user sign-in, from the top-level `user:` mapping (see `userDataOf`)
   */
  userData(user: PolicyUser): SignInUserData | null {
    return this.#user ? userDataOf(this.#user, user) : null
  }

  /**
   * The patterns in the order they are tried (most specific first)
   */
  list(): PolicyListing[] {
    return this.#matcher.ordered().map((entry) => ({
      pattern: entry.pattern.source,
      kind: entry.kind,
      rule: entry.rule?.source.trim() ?? null,
      file: entry.file,
      line: entry.line,
      clientEvents: entry.clientEvents,
      presence: entry.pattern.presence,
    }))
  }
}
