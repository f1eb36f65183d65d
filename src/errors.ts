import { Exception, createError } from '@adonisjs/core/exceptions'

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
 * The X-Socket-ID header of a request does not look like a Pusher socket id
 */
export const E_INVALID_SOCKET_ID = createError<[socketId: string]>(
  'Invalid socket id "%s": expected two integers joined by a dot, as in "1234.5678"',
  'E_INVALID_SOCKET_ID',
  400
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
