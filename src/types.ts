import type { HttpContext } from '@adonisjs/core/http'
import type { Logger } from '@adonisjs/core/logger'
import type { ConfigProvider } from '@adonisjs/core/types'
import type { ChannelLike } from './emitting/channels.ts'
import type { TransactionLike } from './emitting/transaction.ts'
import type { EventsHub } from './events_hub.ts'
import type { PolicyPredicate, PolicyUser } from './policies/types.ts'
import type { PolicyHealth } from './policies/policy_service.ts'
import type { SerializeUser } from './policies/user_snapshot.ts'
import type { UserShapeConfig } from './policies/user_shape.ts'
import type { MetricsRegistry } from './metrics/broadcast_metrics.ts'

/**
 * What any broadcastable event implements. A class extending
 * BroadcastEvent gets sensible defaults; any other class (an AdonisJS class
 * event, say) only needs "broadcastOn".
 */
export interface Broadcastable {
  /**
   * The channel, or channels, the event goes to
   */
  broadcastOn(): ChannelLike | ChannelLike[]

  /**
   * The event name on the wire. Default: the class name
   */
  broadcastAs?(): string

  /**
   * The payload. Default: the event's own enumerable data fields
   */
  broadcastWith?(): Record<string, unknown> | unknown[]

  /**
   * Return false to skip broadcasting this event
   */
  broadcastWhen?(): boolean

  /**
   * Return true to send only once the Lucid transaction the event was
   * emitted in commits (a transaction, or a model saved through one, in
   * one of its fields), and never if it rolls back
   */
  broadcastAfterCommit?(): boolean

  /**
   * The Lucid transaction to wait for (after commit, as above), for an
   * event that holds it where the search of its own fields does not look;
   * null or undefined: there is none, send now
   */
  broadcastTransaction?(): TransactionLike | null | undefined

  /**
   * Send through "@adonisjs/queue": true for the queue's default queue, a
   * name for another one, false to send inline whatever the connection's
   * "queue" option says
   */
  broadcastQueue?(): boolean | string
}

/**
 * One event on one or more channels, ready for a driver. "data" is already
 * serialized to the JSON string that goes on the wire.
 */
export interface BroadcastMessage {
  channels: string[]
  event: string
  data: string
  /**
   * Socket id excluded from delivery ("to others")
   */
  socketId?: string
}

/**
 * Credentials of a Pusher app, used to sign channel authorizations
 */
export interface PusherCredentials {
  appId: string
  key: string
  secret: string
  /**
   * 32 bytes in base64, for "private-encrypted-" channels
   */
  encryptionMasterKeyBase64?: string
}

/**
 * The driver contract. A driver delivers validated messages; the
 * broadcaster does naming, validation, size limits and failure policy.
 */
export interface BroadcastDriver {
  /**
   * Deliver messages. Several messages may be batched by the driver.
   * Rejects with BroadcastFailedException.
   */
  send(messages: BroadcastMessage[]): Promise<void>

  /**
   * Credentials able to sign channel authorizations, for drivers that have
   * them (pusher, local)
   */
  credentials?: PusherCredentials

  /**
   * Largest message a client may send to the server this driver serves,
   * in bytes, so the sign-in route can refuse what the server would.
   * Absent: Pusher's 10 KB
   */
  maxClientMessageBytes?: number

  /**
   * Release connections, sockets and timers
   */
  close?(): Promise<void>
}

/**
 * Options every connection accepts, whatever its driver
 */
export interface ConnectionOptions {
  /**
   * Largest serialized payload accepted, in bytes. Pusher Channels refuses
   * more than 10 KB. Default: 10240
   */
  maxPayloadBytes?: number

  /**
   * What a failed send does: "throw" rejects the emit call (default);
   * "report" logs the error and resolves, for apps that must not fail a
   * request because a broadcast failed.
   */
  onFailure?: 'throw' | 'report'

  /**
   * Masonite's rule: send private and presence channels only when the
   * current request has an authenticated user. Off by default, because
   * receivers are authorized at subscribe time and events emitted from jobs
   * or commands have no request at all.
   */
  requireAuthenticatedSender?: boolean

  /**
   * Send every event of this connection through "@adonisjs/queue" (true:
   * its default queue; a string: that queue), so a slow or failing server
   * never delays a request and failures get the queue's retries.
   * "broadcast.emitNow()" and an event's "broadcastQueue()" override it.
   * Default: inline
   */
  queue?: boolean | string
}

/**
 * Connection options once defaults are applied
 */
export type ResolvedConnectionOptions = Required<
  Pick<ConnectionOptions, 'maxPayloadBytes' | 'onFailure'>
> &
  ConnectionOptions

/**
 * Who decides whether client events may be sent on a channel: the policy
 * service (its "clientEvents" flags, hot reloads included)
 */
export interface ClientEventsPolicy {
  clientEventsAllowed(channel: string): boolean
  /**
   * Loaded or not, and the last failure (health checks)
   */
  health?(): PolicyHealth
  /**
   * Loads the policies when they are not yet
   */
  load?(): Promise<unknown>
}

/**
 * What the broadcast manager hands a driver it creates
 */
export interface DriverContext {
  /**
   * The connection's name in "config/broadcast.ts"
   */
  connection: string
  logger: Logger
  policies?: ClientEventsPolicy
  /**
   * The app's events hub: the embedded server tells it what happens
   * (lifecycle events, publishes, counts), and the provider wires the
   * app's emitter, the metrics and the debug console to it
   */
  events?: EventsHub
}

/**
 * A resolved connection: its options and a factory the manager calls on
 * first use. "drivers.*" in the config return config providers of these,
 * so a driver's module is imported only when the config is resolved.
 */
export interface ConnectionFactory<Driver extends BroadcastDriver = BroadcastDriver> {
  driver: string
  options: ResolvedConnectionOptions
  create(context: DriverContext): Driver
}

/**
 * Connection names mapped to their factories. Written as a mapped type so
 * an interface (the app's BroadcastConnections) satisfies it.
 */
export type ConnectionsList<T> = { [K in keyof T]: ConnectionFactory }

/**
 * The driver a connection creates
 */
export type DriverOf<T> = T extends ConnectionFactory<infer Driver> ? Driver : BroadcastDriver

/**
 * "config/broadcast.ts" as written, given to "defineConfig"
 */
export interface BroadcastConfig<KnownConnections extends ConnectionsList<KnownConnections>> {
  default: keyof KnownConnections & string
  connections: {
    [K in keyof KnownConnections]: ConfigProvider<KnownConnections[K]> | KnownConnections[K]
  }
  policies?: PoliciesConfig
  authorization?: AuthorizationConfig
  /**
   * Receive Pusher's webhooks as lifecycle events on the app's emitter.
   * Off unless set
   */
  incomingWebhooks?: IncomingWebhooksConfig<keyof KnownConnections & string>
  /**
   * Prometheus metrics (needs "prom-client"). Off unless set
   */
  metrics?: MetricsConfig
  /**
   * The debug console page. On outside production unless set
   */
  console?: ConsoleConfig
  /**
   * Broadcast a Broadcastable class event when it is dispatched, with no
   * listener to write. Default: true
   */
  broadcastOnDispatch?: boolean
}

/**
 * "config/broadcast.ts" once resolved: what the services receive
 */
export interface ResolvedBroadcastConfig<
  KnownConnections extends ConnectionsList<KnownConnections> = Record<string, ConnectionFactory>,
> {
  default: keyof KnownConnections & string
  connections: KnownConnections
  policies: ResolvedPoliciesConfig
  authorization: ResolvedAuthorizationConfig
  /**
   * Absent when the app does not receive Pusher's webhooks
   */
  incomingWebhooks?: ResolvedIncomingWebhooksConfig
  metrics: ResolvedMetricsConfig
  console: Required<ConsoleConfig>
  broadcastOnDispatch: boolean
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
 * The auth routes registered by "broadcast.registerRoutes()"
 */
export interface AuthorizationConfig {
  /**
   * Channel authorization route. Default: "/broadcasting/authorize"
   */
  path?: string

  /**
   * More paths for the same route, e.g. "/broadcasting/auth", laravel-echo's
   * default "authEndpoint"
   */
  aliases?: string[]

  /**
   * User authentication route for "pusher.signin()". Default:
   * "/broadcasting/user-auth"
   */
  userAuthPath?: string

  /**
   * Put the reason of a denial in the 403 body. Default: on outside production
   */
  debug?: boolean

  /**
   * Find the request's user some other way than "ctx.auth"
   */
  resolveUser?: (ctx: HttpContext) => unknown | Promise<unknown>

  /**
   * Extra fields for the user snapshot rules see
   */
  serializeUser?: SerializeUser

  /**
   * Sign-in user data when the policy file has no "user" mapping
   */
  userData?: (
    user: PolicyUser
  ) =>
    | { id: string; info?: Record<string, unknown> }
    | null
    | Promise<{ id: string; info?: Record<string, unknown> } | null>
}

/**
 * The route receiving Pusher's webhooks, registered by
 * "broadcast.registerRoutes()" only when this is set
 */
export interface IncomingWebhooksConfig<Connection extends string = string> {
  /**
   * Default: "/broadcasting/webhooks"
   */
  path?: string

  /**
   * The connection whose key and secret verify the webhooks (those of the
   * Pusher app sending them). Default: the default connection
   */
  connection?: Connection

  /**
   * How far a batch's "time_ms" may be from now, either way, in ms; a
   * batch outside it is refused (400), and one received twice inside it
   * is answered 200 and emitted once. Default: 300 000 (5 minutes)
   */
  replayWindow?: number

  /**
   * Signatures remembered to spot a batch received twice, per process; past
   * it the oldest are forgotten. Default: 50 000
   */
  maxRemembered?: number
}

/**
 * Incoming webhooks config with its defaults applied
 */
export type ResolvedIncomingWebhooksConfig = Required<IncomingWebhooksConfig>

/**
 * Prometheus metrics of the broadcast side of the app
 */
export interface MetricsConfig {
  /**
   * Default: true once "metrics" is set
   */
  enabled?: boolean
  /**
   * Put before every metric name. Default "broadcast_"
   */
  prefix?: string
  /**
   * The app's own prom-client Registry, to expose the broadcast metrics
   * with its own. Default: a private one
   */
  registry?: MetricsRegistry
  /**
   * Path of the route "broadcast.registerMetricsRoute()" adds. Default
   * "/metrics"
   */
  path?: string
  /**
   * Who may read the metrics route. Default: "isLocalRequest", requests
   * whose TCP peer is the loopback address and that carry no proxy header
   * (Forwarded, X-Forwarded-*, X-Real-IP...): a request that came through
   * a reverse proxy is refused
   */
  shouldExpose?: (ctx: HttpContext) => boolean | Promise<boolean>
}

/**
 * The debug console: a page showing the embedded server live, fed through
 * a reserved private channel the policy files must admit
 */
export interface ConsoleConfig {
  /**
   * Default: on outside production
   */
  enabled?: boolean
  /**
   * Where the page is served. Default "/broadcasting/console"
   */
  path?: string
  /**
   * The private channel the page listens on, admitted by a policy rule.
   * Default "private-broadcasting-console"
   */
  channel?: string
}

/**
 * Metrics config with its defaults applied
 */
export type ResolvedMetricsConfig = Required<Omit<MetricsConfig, 'registry'>> &
  Pick<MetricsConfig, 'registry'>

/**
 * Policies config with its defaults applied
 */
export type ResolvedPoliciesConfig = Required<PoliciesConfig>

/**
 * Auth routes config with its defaults applied
 */
export type ResolvedAuthorizationConfig = AuthorizationConfig &
  Required<Pick<AuthorizationConfig, 'path' | 'aliases' | 'userAuthPath' | 'debug'>>

/**
 * Connections registered by the app's config, for typed "broadcast.use".
 * The app augments it with "InferConnections<typeof broadcastConfig>".
 */
export interface BroadcastConnections {}

/**
 * The connections of a "defineConfig" result
 */
export type InferConnections<T extends ConfigProvider<{ connections: ConnectionsList<any> }>> =
  Awaited<ReturnType<T['resolver']>>['connections']
