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

export const DEFAULT_MAX_PAYLOAD_BYTES = 10 * 1024

/**
 * A connection's options with the defaults applied (an option given as
 * undefined takes the default)
 */
export function resolveConnectionOptions(options: ConnectionOptions): ResolvedConnectionOptions {
  return {
    maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES,
    onFailure: 'throw',
    requireAuthenticatedSender: false,
    ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)),
  }
}
