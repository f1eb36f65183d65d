import type { Duplex } from 'node:stream'
import type { IncomingMessage, Server } from 'node:http'
import { resolveLimits, type ServerLimits } from './limits.ts'
import type { EmbeddedServerOptions } from './server_options.ts'
import { failureReport } from './failure_report.ts'
import { ServerEvents } from './server_events.ts'
import { snapshotOf, statsOf, type ServerStats, type SnapshotBounds } from './server_view.ts'
import { ServerRun, type CloseOptions } from './server_run.ts'
import { HttpApi } from './http_api/http_api.ts'
import { Connections } from './connection/connections.ts'
import { LocalSockets } from './connection/local_sockets.ts'
import { WriteBatch } from './connection/write_batch.ts'
import { originCheck } from './connection/origins.ts'
import type { SocketConnection } from './connection/socket_connection.ts'
import { ChannelRegistry } from './subscriptions/channel_registry.ts'
import { MessageHandler } from './subscriptions/message_handler.ts'
import { SubscriptionCounts } from './subscriptions/subscription_counts.ts'
import { UserChannelLimits } from './subscriptions/user_channel_limits.ts'
import { memoryCluster } from './cluster/cluster.ts'
import { ClusterMembership } from './cluster/cluster_membership.ts'
import { FrameRouter } from './cluster/frame_router.ts'
import { LifecycleReporter } from './lifecycle/lifecycle_reporter.ts'
import { OutgoingWebhooks } from './webhooks/outgoing_webhooks.ts'

export type { EmbeddedServerOptions, ServerLogger } from './server_options.ts'

/**
 * A Pusher protocol v7 server on "ws" plus the Pusher HTTP API. It attaches
 * to an existing Node HTTP server (the AdonisJS one) or listens on its own
 * port, and can be closed and attached again.
 *
 * This class only wires the parts: connection/ takes sockets, subscriptions/
 * handles what they send, cluster/ makes several nodes one server, lifecycle/
 * and webhooks/ tell what happens; ServerRun starts and closes them in order.
 */
export class EmbeddedServer {
  readonly appId: string
  readonly key: string
  readonly secret: string
  readonly limits: ServerLimits
  readonly sockets = new Set<SocketConnection>()
  /** This node's sockets by channel and user: where frames are delivered */
  readonly local = new LocalSockets()
  /** When the frames delivered leave: at the end of the turn, or "limits.coalesceMs" later */
  readonly writes: WriteBatch
  /** Where joins, leaves and client events become lifecycle events */
  readonly lifecycle: LifecycleReporter
  readonly subscriptionCounts: SubscriptionCounts
  /** What the server tells: lifecycle events, publishes, counts */
  readonly events: ServerEvents

  #membership: ClusterMembership
  #frames: FrameRouter
  #connections: Connections
  #webhooks: OutgoingWebhooks
  #run: ServerRun

  constructor(options: EmbeddedServerOptions) {
    ;({ appId: this.appId, key: this.key, secret: this.secret } = options)
    const limits = (this.limits = resolveLimits(options.limits))
    this.writes = new WriteBatch(limits.coalesceMs)
    const userLimits = new UserChannelLimits(limits)
    const { report, safely } = failureReport(options.logger)
    const events = (this.events =
      options.events ?? new ServerEvents((error, name) => report(error, `"${name}" listener`)))
    const webhooks = (this.#webhooks = new OutgoingWebhooks(this, options))
    const lifecycle = (this.lifecycle = new LifecycleReporter({
      events,
      leaveDelayMs: (options.leaveEventDelay ?? 3) * 1000,
      onMemberRemoved: (channel, userId) => this.#frames.memberRemoved(channel, userId),
      report,
    }))
    const counts = options.subscriptionCount
    this.subscriptionCounts = new SubscriptionCounts(counts, this, lifecycle, report)
    const registry = new ChannelRegistry(this, limits, userLimits)
    const allowed = options.clientEventsAllowed ?? (() => false)
    const messages = new MessageHandler(this, limits, registry, allowed, userLimits, events, report)
    messages.watchThrough(() => this.#frames)
    const http = new HttpApi(this, events)
    const membership = (this.#membership = new ClusterMembership(this, {
      factory: options.cluster ?? memoryCluster(),
      heartbeatMs: (options.heartbeatInterval ?? 3) * 1000,
      events,
      receive: (message) => this.#frames.receive(message),
      report,
    }))
    const cacheTtlMs = (options.cacheTtl ?? 1800) * 1000
    this.#frames = new FrameRouter({ local: this.local, membership, cacheTtlMs, report, events })
    const connections = (this.#connections = new Connections(this, {
      prefix: (options.path ?? '').replace(/\/+$/, ''),
      originAllowed: originCheck(options.allowedOrigins),
      clientAddress: options.clientAddress,
      messages,
      registry,
      membership,
      report,
      safely,
    }))
    const parts = { connections, membership, userLimits, http, webhooks, report, safely }
    this.#run = new ServerRun(this, parts)
  }

  /** Whether clients can reach this server: attached to an HTTP server or listening on its own port, not closing */
  get serving() {
    return this.#run.serving
  }

  /** This node's id in its cluster, new on every start */
  get nodeId() {
    return this.#membership.nodeId
  }

  /** Whether this node has joined its cluster (bus and state ready) */
  get joined() {
    return this.#membership.joined
  }

  /** Whether the cluster's bus is connected (Redis); true for a bus that cannot disconnect, false before the node joined */
  get busConnected() {
    return this.#membership.busConnected
  }

  /** The cluster's channel state, once the node has joined it (every socket and API request waits for that) */
  get state() {
    return this.#membership.state
  }

  /** What a health check or a metrics scrape reads of this node */
  stats(): ServerStats {
    return statsOf(this, this.#webhooks.stats())
  }

  /** A bounded, read-only picture of this node's connections and channels */
  snapshot(bounds: SnapshotBounds) {
    return snapshotOf(this.sockets, bounds)
  }

  /** This node's sockets in a channel */
  subscribers(channel: string) {
    return this.local.count(channel)
  }

  /** Resolves once this node's bus and state are ready */
  ready() {
    return this.#membership.whenJoined()
  }

  /** Starts the WebSocket server, joins the cluster and starts the liveness timers (idempotent) */
  start() {
    this.#run.start()
  }

  /** Serves WebSocket upgrades on "<path>/app/<key>" and the HTTP API under "/apps/<id>/" of an existing server */
  attach(server: Server) {
    this.#run.attach(server)
  }

  /** Listens on a port of its own (broadcast:serve) */
  listen(port: number, host = '0.0.0.0') {
    return this.#run.listen(port, host)
  }

  /** Handles an upgrade when its path is "<path>/app/<key>"; false otherwise */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    return this.#connections.handleUpgrade(req, socket, head)
  }

  /** Sends an event to the channels' sockets on every node (FrameRouter) */
  publish(channels: string[], event: string, data: string, exceptSocketId?: string) {
    return this.#frames.publish(channels, event, data, exceptSocketId)
  }

  /** Sends a frame to a channel on every node; a bus failure is reported */
  relay(channel: string, frame: string, exceptSocketId?: string) {
    this.#frames.relay(channel, frame, exceptSocketId)
  }

  /** Sends an event to the sockets signed in as a user, on every node */
  toUser(userId: string, event: string, data: string) {
    return this.#frames.toUser(userId, event, data)
  }

  /** Closes the user's signed-in sockets with 4009 (no reconnect), everywhere */
  terminateUserConnections(userId: string) {
    return this.#frames.terminateUser(userId)
  }

  /**
   * Graceful shutdown: stops accepting, tells every client to reconnect (4200), removes this node's state (never
   * the other nodes'), leaves the bus and releases a port of its own. A call while one runs (SIGTERM and the
   * app's own shutdown both close) shares its promise. "drained": see ServerRun.close.
   */
  close(options: CloseOptions = {}): Promise<void> {
    return this.#run.close(options)
  }
}
