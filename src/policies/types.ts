import type { UserShape, UserShapeConfig } from './user_shape.ts'

/**
 * Plain-data snapshot of the authenticated user handed to the rules. `null` means a guest.
 */
export type PolicyUser = Record<string, unknown> | null

/**
 * A named predicate callable from rules, e.g. `isTeamMember(user, teamId)`. It receives the
 * arguments written in the rule, as CEL values (`<x:int>` params arrive as `bigint`).
 */
export type PolicyPredicate = (user: PolicyUser, ...args: unknown[]) => boolean | Promise<boolean>

/**
 * Options accepted by `ChannelPolicies.load` and `ChannelPolicies.fromSource`
 */
export interface PolicyLoadOptions {
  /** Predicates callable from rules. They must be known before rules are compiled. */
  predicates?: Record<string, PolicyPredicate>
  /**
   * The fields of `user` and their types: every expression is type-checked against them at
   * load (see `resolveUserShape`). Without it, `user` is `dyn` and a misspelt field denies
   * at run time.
   */
  userShape?: UserShape | null
}

/**
 * Presence member computed from the policy's `member` mapping
 */
export interface PolicyMember {
  id: string
  info: Record<string, unknown>
}

/**
 * Outcome of `ChannelPolicies.decide`
 */
export interface PolicyDecision {
  allowed: boolean
  /** The matched pattern as written in YAML, `null` when none matched */
  pattern: string | null
  /** Names the pattern and the condition that failed. Never contains user data. */
  reason: string
  /** Presence channels only, when allowed */
  member: PolicyMember | null
  /** Whether members may send `client-` events on this channel */
  clientEvents: boolean
  /**
   * Set when the policy allows the user but the presence member it maps is over Pusher's
   * limits (1 KB of info, 128-character id): the app's mistake, not the user's
   */
  memberTooLarge?: true
}

/**
 * Context of one decision
 */
export interface PolicyContext {
  user: PolicyUser
  socketId?: string
}

/**
 * Where the policy service tells each decision: the app's events hub
 * (metrics, the debug console), typed by shape
 */
export interface DecisionEvents {
  emit(name: 'decision', channel: string, decision: PolicyDecision, context: PolicyContext): void
}

/**
 * One row of `ChannelPolicies.list`, in the order patterns are tried
 */
export interface PolicyListing {
  pattern: string
  kind: 'allow' | 'deny'
  rule: string | null
  file: string
  line: number
  clientEvents: boolean
  presence: boolean
}

/**
 * Where the channel policy files are and how they load
 */
export interface PoliciesConfig {
  /**
   * A folder (every *.yaml file in it, merged) or a file, or a list of them.
   * Default: the app's "policies" folder
   */
  path?: string | string[]

  /**
   * Reload on change. A valid edit applies within a second; an invalid one
   * keeps the last good policy and logs the error. Default: false
   */
  watch?: boolean

  /**
   * Named predicates callable from rules, for what YAML cannot say
   */
  predicates?: Record<string, PolicyPredicate>

  /**
   * The fields of "user" rules may read: the Lucid model the auth guard
   * finds users with, plus declared fields (what "serializeUser" adds, or
   * the whole user without Lucid). Rules are then type-checked at load: a
   * misspelt field or a wrong-typed comparison stops boot. Default: unchecked
   */
  user?: UserShapeConfig | null

  /**
   * Log one line per authorization decision, at info level: channel, user
   * id, deciding pattern, outcome, reason and time taken. Default: false
   */
  logDecisions?: boolean
}

/**
 * Policies config with its defaults applied
 */
export type ResolvedPoliciesConfig = Required<PoliciesConfig>

export type { SourcePosition } from '../errors.ts'
