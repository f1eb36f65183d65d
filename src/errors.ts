import { format } from 'node:util'
import { isAbsolute, join } from 'node:path'
import type { HttpContext } from '@adonisjs/core/http'
import { Exception, createError } from '@adonisjs/core/exceptions'

/**
 * Every error the package throws, in one module, exported as `errors` from the package.
 * Values answered to a client of the embedded server and never thrown to the app are
 * not here: see `refusal.ts` of the engine package (packages/engine).
 */

/*
|--------------------------------------------------------------------------
| Emitting
|--------------------------------------------------------------------------
*/

/**
 * A channel name Pusher would refuse: bad characters, too long, or empty.
 */
export const E_INVALID_CHANNEL_NAME = createError<[name: string, reason: string]>(
  'Invalid channel name "%s": %s',
  'E_INVALID_CHANNEL_NAME',
  500
)

/**
 * An event whose JSON payload is over the connection's limit. Refused before
 * anything is sent: Pusher answers 413 above 10 KB.
 */
export const E_PAYLOAD_TOO_LARGE = createError<[event: string, size: number, limit: number]>(
  'Cannot broadcast "%s": its payload is %d bytes, over the %d bytes limit. Send ids and let the client refetch, or raise "maxPayloadBytes" for a self-hosted server',
  'E_PAYLOAD_TOO_LARGE',
  500
)

/**
 * An event name Pusher would refuse
 */
export const E_INVALID_EVENT_NAME = createError<[name: string, reason: string]>(
  'Invalid event name "%s": %s',
  'E_INVALID_EVENT_NAME',
  500
)

/**
 * An event to a "private-encrypted-" channel that the local driver cannot
 * encrypt: no "encryptionMasterKeyBase64" on the connection. Nothing is
 * sent, never plaintext.
 */
export const E_CANNOT_ENCRYPT = createError<[event: string, channel: string, reason: string]>(
  'Cannot broadcast "%s" on the encrypted channel "%s": %s',
  'E_CANNOT_ENCRYPT',
  500
)

/**
 * The local driver was asked to deliver in a process where its embedded
 * server does not serve clients, with nowhere to forward the message
 */
export const E_BROADCAST_SERVER_NOT_RUNNING = createError(
  'The embedded broadcast server is not serving clients in this process (an ace command, a queue worker, or a test that did not call attachBroadcastServer). Set "publishTo" on the local connection to publish through the running app, or use the pusher driver pointed at it',
  'E_BROADCAST_SERVER_NOT_RUNNING',
  500
)

/**
 * An event or a connection asks for the queue, and "@adonisjs/queue" is
 * not installed (or its provider is not registered)
 */
export const E_QUEUE_NOT_INSTALLED = createError<[what: string]>(
  'Queued broadcasting (%s) needs @adonisjs/queue: run "node ace add @adonisjs/queue", or remove the queue option',
  'E_QUEUE_NOT_INSTALLED',
  500
)

/**
 * An unknown connection name passed to "broadcast.use"
 */
export const E_UNKNOWN_CONNECTION = createError<[name: string, known: string]>(
  'Unknown broadcast connection "%s". Configured connections: %s',
  'E_UNKNOWN_CONNECTION',
  500
)

/**
 * Sending to the broadcast server failed, after retries where the failure
 * was transient. Carries the HTTP status and body when there was a response.
 */
export class BroadcastFailedException extends Exception {
  static status = 500
  static code = 'E_BROADCAST_FAILED'

  /**
   * HTTP status of the broadcast server's response, when there was one
   */
  declare responseStatus?: number

  /**
   * Response body of the broadcast server, when there was one
   */
  declare responseBody?: string

  /**
   * Event names and channels of the messages that failed
   */
  declare events: string[]
  declare channels: string[]

  constructor(
    message: string,
    details: {
      responseStatus?: number
      responseBody?: string
      events: string[]
      channels: string[]
      cause?: unknown
    }
  ) {
    super(message, { cause: details.cause })
    this.responseStatus = details.responseStatus
    this.responseBody = details.responseBody
    this.events = details.events
    this.channels = details.channels
  }
}

export const E_BROADCAST_FAILED = BroadcastFailedException

/**
 * A process whose embedded server serves nobody (an ace command, a seeder,
 * a queue worker) forwards to the app at "publishTo", and nothing answered
 * there: the app is most likely not running. "repeated" is true when the
 * connection already failed so since it last reached the app, so a seeder
 * saving many models reports it once.
 */
export class BroadcastAppUnreachableException extends BroadcastFailedException {
  static code = 'E_BROADCAST_APP_UNREACHABLE'

  declare host: string
  declare port: string
  declare repeated: boolean

  constructor(
    target: { host: string; port: number | string; scheme?: string },
    details: { events: string[]; channels: string[]; cause?: unknown; repeated?: boolean }
  ) {
    const url = `${target.scheme ?? 'http'}://${target.host}:${target.port}`
    super(
      `Cannot broadcast: nothing answers at ${url}, the "publishTo" of the local connection. Is the app running? Start it ("node ace serve"), or point "publishTo" at its HOST and PORT`,
      details
    )
    this.host = target.host
    this.port = String(target.port)
    this.repeated = details.repeated ?? false
  }

  /**
   * Ace prints the message alone: the stack of an HTTP client says nothing
   * more than "the app is not there"
   */
  render(error: this, kernel: { ui: { logger: { logError(message: string): void } } }) {
    kernel.ui.logger.logError(`${error.message} (${error.code})`)
  }

  /**
   * Logs a failure of a broadcast nobody awaits (the Lucid mixin, "report"
   * connections): the first of a run of them as one line without a stack,
   * the repeats at debug level, so a seeder saving many models says it once
   */
  static log(
    error: BroadcastAppUnreachableException,
    logger: { error(message: string): void; debug(obj: object, message: string): void }
  ) {
    if (error.repeated) {
      logger.debug({ events: error.events, code: error.code }, 'broadcast failed: app unreachable')
      return
    }
    logger.error(
      `${error.message} (${error.code}). Later broadcasts that fail the same way are logged at debug level`
    )
  }
}

export const E_BROADCAST_APP_UNREACHABLE = BroadcastAppUnreachableException

/*
|--------------------------------------------------------------------------
| The auth routes
|--------------------------------------------------------------------------
|
| Thrown by the controllers and rendered by the app's exception handler
| through "handle": the body is `{error: {code, message}}`.
|
*/

/**
 * The auth routes answer JSON whatever the Accept header: pusher-js sends
 * none (a negotiated answer would be HTML) and reads the body as JSON
 */
function renderAuthError(error: Exception, ctx: HttpContext) {
  return ctx.response
    .status(error.status)
    .send({ error: { code: error.code, message: error.message } })
}

/**
 * An error of an auth route's request, rendering its own answer
 */
abstract class AuthRouteException extends Exception {
  handle(error: this, ctx: HttpContext) {
    return renderAuthError(error, ctx)
  }
}

/**
 * "createError" for the auth routes: a code, a status and a "%s" message
 * template, rendered as the auth routes answer
 */
function createAuthError<T extends unknown[] = []>(message: string, code: string, status: number) {
  return class extends AuthRouteException {
    static message = message
    static code = code
    static status = status

    constructor(...[args, options]: T extends [] ? [T?, ErrorOptions?] : [T, ErrorOptions?]) {
      super(format(message, ...(args ?? [])), options)
      this.name = 'Exception'
    }
  }
}

/**
 * An auth request without "socket_id" or "channel_name"
 */
export const E_MISSING_FIELD = createAuthError<[field: string]>(
  'Missing "%s" in the request body',
  'E_MISSING_FIELD',
  400
)

/**
 * A field of an auth request that is not a string (a JSON body)
 */
export const E_INVALID_FIELD = createAuthError<[field: string]>(
  '"%s" must be a string',
  'E_INVALID_FIELD',
  400
)

/**
 * A socket id that does not look like a Pusher socket id: the "socket_id"
 * of an auth request, or the X-Socket-ID header read by "toOthers()". Both
 * come from a client, so both answer 400 the same way.
 */
export const E_INVALID_SOCKET_ID = createAuthError<[socketId: string]>(
  'Invalid socket id "%s": expected two integers joined by a dot, as in "1234.5678"',
  'E_INVALID_SOCKET_ID',
  400
)

/**
 * E_INVALID_CHANNEL_NAME for the "channel_name" a client sent to the auth
 * route: the client's error (400), answered as the auth routes answer. The
 * app's own bad name stays a 500 left to the app's exception handler.
 */
export class ChannelNameInputException extends E_INVALID_CHANNEL_NAME {
  static status = 400

  handle(error: this, ctx: HttpContext) {
    return renderAuthError(error, ctx)
  }
}

/**
 * A public channel sent to the auth route: it needs no authorization
 */
export const E_PUBLIC_CHANNEL = createAuthError<[channel: string]>(
  '"%s" is a public channel: it needs no authorization. Only "private-" and "presence-" channels are authorized',
  'E_PUBLIC_CHANNEL',
  400
)

/**
 * A "private-encrypted-" channel, but the default connection has no
 * master key to derive its shared secret from
 */
export const E_ENCRYPTION_NOT_CONFIGURED = createAuthError<[channel: string]>(
  '"%s" is an encrypted channel, but the default connection has no "encryptionMasterKeyBase64"',
  'E_ENCRYPTION_NOT_CONFIGURED',
  400
)

/**
 * The channel policy denies the subscription. The reason is given only when
 * "authorization.debug" is on: it names the app's rules.
 */
export const E_CHANNEL_FORBIDDEN = class extends AuthRouteException {
  static status = 403
  static code = 'E_CHANNEL_FORBIDDEN'

  constructor(channel: string, reason?: string) {
    super(reason ? `Access to "${channel}" denied: ${reason}` : `Access to "${channel}" denied`)
  }

  /**
   * A denial is the policy's answer, not a failure: not logged (NODE_DEBUG
   * traces every decision)
   */
  report() {}
}

/**
 * A presence member over Pusher's limits (1 KB of info, 128-character id):
 * the app's mapping to fix, so the reason is always given and the app's
 * exception handler reports it
 */
export const E_MEMBER_TOO_LARGE = createAuthError<[channel: string, reason: string]>(
  'Cannot join "%s": %s',
  'E_MEMBER_TOO_LARGE',
  403
)

/**
 * User sign-in by a guest
 */
export const E_NOT_AUTHENTICATED = class extends createAuthError(
  'Sign-in needs an authenticated user',
  'E_NOT_AUTHENTICATED',
  403
) {
  /**
   * A guest calling "signin()" is an answer, not a failure: not logged
   */
  report() {}
}

/**
 * The policy file's top-level "user:" mapping failed for this user. The
 * message and "reason" hold only the CEL error code, never user data.
 */
export const E_USER_MAPPING_FAILED = class extends AuthRouteException {
  static status = 403
  static code = 'E_USER_MAPPING_FAILED'

  /**
   * The CEL error code, or "snapshot_too_large" / "invalid_id"
   */
  declare reason: string

  constructor(reason: string, message: string) {
    super(message)
    this.reason = reason
  }
}

/**
 * Sign-in without user data: no "user:" mapping and no
 * "authorization.userData", or it gave no id
 */
export const E_NO_USER_MAPPING = createAuthError(
  'No user data for sign-in: add a "user" mapping with an "id" to the policy file',
  'E_NO_USER_MAPPING',
  403
)

/**
 * A sign-in answer whose "pusher:signin" message the server would refuse
 * as too large: it would fail silently in the browser
 */
export const E_USER_DATA_TOO_LARGE = createAuthError<[size: number, limit: number]>(
  'Cannot sign in: the user data makes a %d-byte "pusher:signin" message, over the server\'s %d-byte limit. Map fewer or shorter fields in the policy\'s "user" mapping',
  'E_USER_DATA_TOO_LARGE',
  403
)

/*
|--------------------------------------------------------------------------
| The incoming webhook route
|--------------------------------------------------------------------------
|
| Rendered like the auth routes: `{error: {code, message}}`. Pusher only
| reads the status; a developer replaying a webhook with curl reads the
| reason, and the route logs it.
|
*/

/**
 * A request to the webhook route that is not a webhook signed by the
 * connection's Pusher app: a missing or wrong header, a wrong signature,
 * a body that is not Pusher's JSON. Nothing was emitted.
 */
export const E_INVALID_WEBHOOK = createAuthError<[reason: string]>(
  'Invalid Pusher webhook: %s',
  'E_INVALID_WEBHOOK',
  401
)

/**
 * A signed webhook whose "time_ms" is further from now than the route's
 * "replayWindow": a batch replayed later (signatures never expire), or a
 * clock off by that much. Nothing was emitted.
 */
export const E_WEBHOOK_OUTSIDE_WINDOW = createAuthError<
  [seconds: number, when: 'in the past' | 'in the future', window: number]
>(
  'Pusher webhook refused: its "time_ms" is %d s %s, outside the %d s window ("incomingWebhooks.replayWindow"). A replayed batch, or this server\'s clock is off',
  'E_WEBHOOK_OUTSIDE_WINDOW',
  400
)

/**
 * A webhook body over the route's limit. Nothing was emitted.
 */
export const E_WEBHOOK_TOO_LARGE = createAuthError<[size: number, limit: number]>(
  'Pusher webhook refused: its body is %d bytes, over the %d bytes limit',
  'E_WEBHOOK_TOO_LARGE',
  413
)

/*
|--------------------------------------------------------------------------
| Policies
|--------------------------------------------------------------------------
*/

/**
 * A policy file that cannot be loaded. The message starts with `file:line:col: ` so editors
 * and terminals can jump to the offending character.
 */
export class PolicyError extends Exception {
  static status = 500
  static code = 'E_INVALID_POLICY'

  file: string
  line: number
  column: number
  hint?: string
  #reason: string

  constructor(position: SourcePosition, message: string, hint?: string) {
    super(
      `${position.file}:${position.line}:${position.column}: ${message}${hint ? `\n  hint: ${hint}` : ''}`
    )
    this.file = position.file
    this.line = position.line
    this.column = position.column
    this.hint = hint
    this.#reason = message
  }

  /**
   * The error as a failed boot prints it (Youch reads "hint" and the stack):
   * the hint once, under the message rather than in it too, and a stack
   * whose one frame is the position in the policy file, so the code frame
   * shown is the YAML, not the package's compiled code
   */
  forBoot(appRoot: string): PolicyError {
    const position = { file: this.file, line: this.line, column: this.column }
    const error = new PolicyError(position, this.#reason)
    error.hint = this.hint
    const path = isAbsolute(this.file) ? this.file : join(appRoot, this.file)
    error.stack = `${error.name}: ${error.message}\n    at ${path}:${this.line}:${this.column}`
    return error
  }
}

export const E_INVALID_POLICY = PolicyError

/**
 * A position inside a policy file (1-based line and column)
 */
export interface SourcePosition {
  file: string
  line: number
  column: number
}

/**
 * Raised while compiling a pattern or a rule, with an offset inside that text. The loader
 * turns it into a `PolicyError` by mapping the offset into the YAML file: it never leaves
 * the policies.
 */
export class SourceTextError extends Exception {
  offset: number
  hint?: string

  constructor(offset: number, message: string, hint?: string) {
    super(message)
    this.offset = offset
    this.hint = hint
  }
}

/**
 * A function a rule calls failed: a predicate that threw or returned a non-boolean, or
 * `matches()` with a pattern RE2 refuses. It never leaves the policies: the rule denies with
 * `code` (`predicate_failed`, `invalid_regular_expression`, ...) as the reason, and a pattern
 * written in a rule is a load error.
 */
export class RuleFunctionError extends Exception {
  constructor(message: string, code: string) {
    super(message, { code })
  }
}
