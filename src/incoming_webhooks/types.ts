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
