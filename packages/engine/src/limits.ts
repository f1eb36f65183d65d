/**
 * Limits of the embedded server. The defaults follow Pusher's where Pusher
 * documents one, so an app that works here also works on Pusher Channels.
 */
export interface ServerLimits {
  /**
   * Open sockets per server; above it new sockets are closed with 4100
   * (clients retry after a back-off). Default: 10000
   */
  maxConnections: number

  /**
   * Open sockets per client IP address, on every node of the cluster
   * together; above it new sockets from that address are closed with
   * 4100. The address is the server's "clientAddress" (behind a proxy,
   * the forwarded one as far as the hops are trusted). Over Redis each
   * new socket costs one round trip before it is served; when Redis does
   * not answer, each node counts alone. 0 (the default) turns it off.
   */
  maxConnectionsPerIp: number

  /**
   * Largest inbound WebSocket message handled, in bytes; larger ones get a
   * non-fatal "pusher:error". Default: 10240
   */
  maxMessageBytes: number

  /**
   * Largest WebSocket frame read at all; above it the socket is closed
   * (1009) without buffering the frame. Default: 262144
   */
  maxFrameBytes: number

  /**
   * Channels one socket may be subscribed to. Default: 100
   */
  maxChannelsPerSocket: number

  /**
   * Subscribe requests per socket per second, after a burst of
   * "maxChannelsPerSocket" (a page subscribing its channels at once);
   * over it a subscription is refused with a 429 "subscription_error".
   * Each subscribe costs a round trip to the shared state and may notify
   * the channel's other clients: a client re-subscribing in a loop must
   * not multiply that. 0 turns it off. Default: 10
   */
  subscriptionsPerSecond: number

  /**
   * Distinct users in one presence channel (Pusher: 100)
   */
  maxPresenceMembers: number

  /**
   * Serialized presence "user_info" size in bytes (Pusher: 1 KB)
   */
  maxUserInfoBytes: number

  /**
   * Presence user id length (Pusher: 128)
   */
  maxUserIdLength: number

  /**
   * Client events per socket per second (Pusher: 10); above it they are
   * dropped with a non-fatal 4301 error
   */
  clientEventsPerSecond: number

  /**
   * Sockets of one user in one channel, on every node of the cluster
   * together (checked in the state's join, atomically): presence channels
   * count the member's user id, private channels the user a socket signed
   * in as ("pusher:signin"). Over it the subscription is refused (403).
   * A person rarely has more than a few tabs on one channel; the limit
   * stops one account from multiplying the per-socket limits (150
   * sockets x 10 client events/s made 110,000 frames/s). 0 turns it off.
   * Default: 10
   */
  maxSocketsPerUserPerChannel: number

  /**
   * Ids of a signed-in user's watchlist (Pusher: 100); the rest are
   * dropped with a non-fatal 4302 error
   */
  maxWatchlistSize: number

  /**
   * Client events of one user in one channel per second, all its sockets
   * on every node together (counted as for "maxSocketsPerUserPerChannel");
   * above it they are dropped with a non-fatal 4301 error. Two busy tabs
   * fit. Over Redis each such event costs one round trip before it is
   * relayed (a socket's events keep their order); when Redis does not
   * answer, each node counts alone. 0 turns it off. Default: 20
   */
  clientEventsPerUserPerSecond: number

  /**
   * Bytes waiting in one socket's send buffer before the socket is
   * considered a slow consumer and closed with 4100. Default: 1 MiB
   */
  maxBufferedBytes: number

  /**
   * Milliseconds a socket's frames are held so those of several events
   * leave in one write (one system call per socket). 0 (the default):
   * frames gathered in one event-loop turn leave at its end, which already
   * batches bursts; 1–5 ms also batches a steady stream of events, at the
   * cost of that much latency on each
   */
  coalesceMs: number

  /**
   * Seconds without traffic after which the server pings a socket, also
   * sent to clients in the handshake (Pusher recommends 120)
   */
  activityTimeout: number

  /**
   * Seconds to wait for a pong before closing with 4201. Default: 30
   */
  pongTimeout: number

  /**
   * HTTP API: largest event "data" in bytes (Pusher: 10 KB, answered 413)
   */
  maxEventBytes: number

  /**
   * HTTP API: channels per event (Pusher: 100)
   */
  maxChannelsPerEvent: number

  /**
   * HTTP API: events per batch (Pusher: 10)
   */
  maxBatchSize: number

  /**
   * HTTP API: largest request body in bytes; a larger Content-Length is
   * answered 413 before anything is read. Default: 256 KiB
   */
  maxRequestBytes: number

  /**
   * HTTP API: seconds a signed request has to send its whole body, so a
   * stalled upload cannot hold a connection (answered 408). Default: 10
   */
  requestBodyTimeout: number

  /**
   * HTTP API: request bodies read at the same time; past it a request is
   * answered 503 with "Retry-After" before its body is read. Default: 100
   */
  maxConcurrentRequestBodies: number

  /**
   * Cache channels with a stored last event (in-memory adapter); past it
   * the oldest stored event is dropped (its next subscriber gets
   * "pusher:cache_miss"). Default: 10000
   */
  maxCachedChannels: number

  /**
   * Bytes of stored cache channel events (frames and channel names); past
   * it the oldest stored events are dropped. Default: 32 MiB
   */
  maxCachedBytes: number

  /**
   * Seconds HTTP requests still in flight get on shutdown, once the
   * sockets are closed; then every connection left on the HTTP server is
   * closed, so the process exits in bounded time. Default: 5
   */
  shutdownTimeout: number
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxConnections: 10_000,
  maxConnectionsPerIp: 0,
  maxMessageBytes: 10_240,
  maxFrameBytes: 262_144,
  maxChannelsPerSocket: 100,
  subscriptionsPerSecond: 10,
  maxPresenceMembers: 100,
  maxUserInfoBytes: 1024,
  maxUserIdLength: 128,
  clientEventsPerSecond: 10,
  maxSocketsPerUserPerChannel: 10,
  maxWatchlistSize: 100,
  clientEventsPerUserPerSecond: 20,
  maxBufferedBytes: 1024 * 1024,
  coalesceMs: 0,
  activityTimeout: 120,
  pongTimeout: 30,
  maxEventBytes: 10_240,
  maxChannelsPerEvent: 100,
  maxBatchSize: 10,
  maxRequestBytes: 256 * 1024,
  requestBodyTimeout: 10,
  maxConcurrentRequestBodies: 100,
  maxCachedChannels: 10_000,
  maxCachedBytes: 32 * 1024 * 1024,
  shutdownTimeout: 5,
}

/**
 * Defaults overridden by the given values (undefined ones ignored)
 */
export function resolveLimits(limits: Partial<ServerLimits> = {}): ServerLimits {
  const resolved = { ...DEFAULT_LIMITS }
  for (const [key, value] of Object.entries(limits)) {
    if (value !== undefined) (resolved as Record<string, number>)[key] = value
  }
  return resolved
}
