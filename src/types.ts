import type { HttpContext } from '@adonisjs/core/http'
import type { ApplicationService } from '@adonisjs/core/types'
import type { ChannelLike } from './channels.ts'
import type { ChannelPolicies, PolicyPredicate, PolicyUser } from './policies/main.ts'
import type { SerializeUser } from './policies/user_snapshot.ts'

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
   * Called by the provider on the app's "ready" hook (never in warmup mode),
   * for drivers that hold long-lived resources such as a server
   */
  start?(): Promise<void>

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
}

/**
 * A connection in the config: its options and a lazy driver factory
 */
export interface ConnectionConfig {
  driver: string
  options: Required<Pick<ConnectionOptions, 'maxPayloadBytes' | 'onFailure'>> & ConnectionOptions
  create(app: ApplicationService, context?: DriverContext): Promise<BroadcastDriver>
}

/**
 * What the broadcast manager shares with the drivers it creates
 */
export interface DriverContext {
  /**
   * The channel policies currently loaded (and hot reloaded), if any
   */
  policies(): ChannelPolicies | undefined
}

/**
 * The resolved "config/broadcast.ts"
 */
export interface BroadcastConfig<
  Connections extends Record<string, ConnectionConfig> = Record<string, ConnectionConfig>,
> {
  default: keyof Connections & string
  connections: Connections
  policies?: PoliciesConfig
  authorization?: AuthorizationConfig
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
 * Connections registered by the app's config, for typed "broadcast.use"
 */
export interface BroadcastConnections {}

/**
 * Names accepted by "broadcast.use": the app's connections once its config
 * augments BroadcastConnections, any string otherwise
 */
export type ConnectionName = keyof BroadcastConnections extends never
  ? string
  : keyof BroadcastConnections & string

export type InferConnections<T extends BroadcastConfig<any>> = T['connections']
