import type { Logger } from '@adonisjs/core/logger'
import debug from '../debug.ts'
import { ChannelPolicies } from './channel_policies.ts'
import { logDecision } from './decision_log.ts'
import { watchPolicies } from './watch.ts'
import { resolveUserShape, type UserShapeConfig } from './user_shape.ts'
import type {
  DecisionEvents,
  PolicyContext,
  PolicyDecision,
  PolicyLoadOptions,
  PolicyPredicate,
  PolicyUser,
} from './types.ts'

/**
 * Where the app's policy files are and how they load ("policies" in
 * config/broadcast.ts, defaults applied)
 */
export interface PolicyServiceConfig {
  path: string | string[]
  watch: boolean
  predicates: Record<string, PolicyPredicate>
  /** The shape of "user" rules are type-checked against; null: unchecked */
  user?: UserShapeConfig | null
  /** One info log line per decision */
  logDecisions?: boolean
}

/**
 * Whether policies are loaded, and the last load or reload that failed
 * (cleared by the next one that succeeds)
 */
export interface PolicyHealth {
  loaded: boolean
  lastError?: { file?: string; message: string }
}

/**
 * The app's channel policies, a container singleton: loaded once, hot
 * reloaded when watched, and asked by the auth routes (decisions, sign-in
 * data), the embedded server (client events) and the commands.
 */
export class PolicyService {
  #loading?: Promise<ChannelPolicies>
  #loaded?: ChannelPolicies
  #options?: Promise<PolicyLoadOptions>
  #stopWatching?: () => void
  #lastError?: unknown

  constructor(
    readonly config: PolicyServiceConfig,
    protected logger: Pick<Logger, 'error' | 'info'>,
    /**
     * Told of every decision (metrics, the console)
     */
    protected events?: DecisionEvents
  ) {}

  /**
   * The loaded policies. Loaded once; a bad file rejects with an error
   * naming file, line and column, and the next call tries again.
   */
  load(): Promise<ChannelPolicies> {
    if (!this.#loading) {
      this.#loading = this.loadOptions().then((options) =>
        ChannelPolicies.load(this.config.path, options)
      )
      this.#loading.then(
        (policies) => {
          this.#loaded = policies
          this.#lastError = undefined
        },
        (error) => {
          this.#loading = undefined
          this.#lastError = error
        }
      )
    }
    return this.#loading
  }

  /**
   * Other policy files, compiled with the app's predicates (what
   * "broadcast:check --policies" checks). Not cached.
   */
  async loadFrom(path: string | string[]): Promise<ChannelPolicies> {
    return ChannelPolicies.load(path, await this.loadOptions())
  }

  /**
   * The predicates, and the user's shape (its model imported once); a
   * failure rejects and the next call tries again
   */
  loadOptions(): Promise<PolicyLoadOptions> {
    if (!this.#options) {
      this.#options = resolveUserShape(this.config.user).then((userShape) => ({
        predicates: this.config.predicates,
        userShape,
      }))
      this.#options.catch(() => (this.#options = undefined))
    }
    return this.#options
  }

  /**
   * Reload on change (development). An invalid edit keeps the last good
   * policies and is logged with its position.
   */
  watch() {
    if (this.#stopWatching) return
    let stopped = false
    this.#stopWatching = () => (stopped = true)
    this.loadOptions().then(
      (options) => {
        if (stopped) return
        this.#stopWatching = watchPolicies(
          this.config.path,
          (policies) => {
            debug('policies reloaded')
            this.#loaded = policies
            this.#loading = Promise.resolve(policies)
            this.#lastError = undefined
          },
          (error) => {
            this.#lastError = error
            this.logger.error(`broadcast policies not reloaded: ${error.message}`)
          },
          options
        )
      },
      (error) => {
        this.#lastError = error
        this.logger.error(`broadcast policies not watched: ${error.message}`)
      }
    )
  }

  /**
   * Decides whether the user may subscribe to the channel. Never throws for
   * a rule: errors deny.
   */
  async decide(channel: string, context: PolicyContext): Promise<PolicyDecision> {
    const policies = await this.load()
    const start = this.config.logDecisions ? performance.now() : 0
    const decision = await policies.decide(channel, context)
    if (this.config.logDecisions) {
      logDecision(this.logger, channel, context, decision, performance.now() - start)
    }
    this.events?.emit('decision', channel, decision, context)
    return decision
  }

  /**
   * Sign-in user data from the policy's "user" mapping; null without one
   */
  async userData(user: PolicyUser) {
    const policies = await this.load()
    return policies.userData(user)
  }

  /**
   * Whether client events may be sent on a channel, by the policies loaded
   * so far (none loaded: never). Synchronous: the server asks per message.
   */
  clientEventsAllowed(channel: string): boolean {
    return this.#loaded?.clientEventsAllowed(channel) ?? false
  }

  /**
   * What a health check reports
   */
  health(): PolicyHealth {
    const error = this.#lastError as { file?: unknown; message?: unknown } | undefined
    if (!error) return { loaded: this.#loaded !== undefined }
    return {
      loaded: this.#loaded !== undefined,
      lastError: {
        file: typeof error.file === 'string' ? error.file : undefined,
        message: String(error.message ?? error),
      },
    }
  }

  /**
   * Stops watching
   */
  close() {
    this.#stopWatching?.()
    this.#stopWatching = undefined
  }
}
