import type { Duplex } from 'node:stream'
import type { AddressInfo } from 'node:net'
import type { IncomingMessage, Server } from 'node:http'
import { HttpApi } from './http_api/http_api.ts'
import { ChannelRegistry } from './subscriptions/channel_registry.ts'
import { LocalSockets } from './connection/local_sockets.ts'
import type { ChannelState } from './state/channel_state.ts'
import { memoryCluster } from './cluster/cluster.ts'
import { ClusterMembership } from './cluster/cluster_membership.ts'
import { FrameRouter } from './cluster/frame_router.ts'
import { Connections } from './connection/connections.ts'
import type { SocketConnection } from './connection/socket_connection.ts'
import { resolveLimits, type ServerLimits } from './limits.ts'
import { MessageHandler } from './subscriptions/message_handler.ts'
import { originCheck } from './connection/origins.ts'
import { Admission } from './connection/admission.ts'
import { HttpAttachment } from './http_attachment.ts'
import { startLivenessTimer } from './connection/liveness.ts'
import { UserChannelLimits } from './subscriptions/user_channel_limits.ts'
import { LifecycleReporter } from './lifecycle/lifecycle_reporter.ts'
import { SubscriptionCounts } from './subscriptions/subscription_counts.ts'
import type { EmbeddedServerOptions } from './server_options.ts'
import { failureReport } from './failure_report.ts'
import { ServerEvents } from './server_events.ts'
import { OutgoingWebhooks } from './webhooks/outgoing_webhooks.ts'
import {
  connectionCounts,
  snapshotOf,
  type ServerSnapshot,
  type ServerStats,
  type SnapshotBounds,
} from './server_view.ts'

export type { EmbeddedServerOptions, ServerLogger } from './server_options.ts'

/**
 * A Pusher protocol v7 server on "ws" plus the Pusher HTTP API. It attaches
 * to an existing Node HTTP server (the AdonisJS one) or listens on its own
 * port, and can be closed and attached again.
 */
export class EmbeddedServer {
  readonly appId: string
  readonly key: string
  readonly secret: string
  readonly limits: ServerLimits
  readonly sockets = new Set<SocketConnection>()
  /**
   * This node's sockets by channel and user: where frames are delivered
   */
  readonly local = new LocalSockets()
  /**
   * Where joins, leaves and client events become lifecycle events
   */
  readonly lifecycle: LifecycleReporter
  readonly subscriptionCounts: SubscriptionCounts
  /**
   * What the server tells: lifecycle events, publishes, counts
   */
  readonly events: ServerEvents

  #registry: ChannelRegistry
  #messages: MessageHandler
  #http: HttpApi
  #membership: ClusterMembership
  #frames: FrameRouter
  #admission: Admission
  #connections: Connections
  #livenessTimer?: NodeJS.Timeout
  /**
   * The close in progress, shared by every caller until it ends
   */
  #inFlightClose?: Promise<void>
  #attachment: HttpAttachment
  #userLimits: UserChannelLimits
  #safely: (where: string, body: () => void) => void
  #webhooks: OutgoingWebhooks

  constructor(options: EmbeddedServerOptions) {
    this.appId = options.appId
    this.key = options.key
    this.secret = options.secret
    this.limits = resolveLimits(options.limits)
    this.#admission = new Admission(this.key, this.limits, originCheck(options.allowedOrigins))
    this.#userLimits = new UserChannelLimits(this.limits)
    const { report, safely } = failureReport(options.logger)
    this.#safely = safely
    const events =
      options.events ?? new ServerEvents((error, name) => report(error, `"${name}" listener`))
    this.events = events
    this.#webhooks = new OutgoingWebhooks(this, options)
    this.lifecycle = new LifecycleReporter({
      events,
      leaveDelayMs: (options.leaveEventDelay ?? 3) * 1000,
      onMemberRemoved: (channel, userId) => this.#frames.memberRemoved(channel, userId),
      report,
    })
    this.subscriptionCounts = new SubscriptionCounts(
      options.subscriptionCount,
      this,
      this.lifecycle,
      report
    )
    this.#registry = new ChannelRegistry(this, this.limits, this.#userLimits)
    this.#messages = new MessageHandler(
      this,
      this.limits,
      this.#registry,
      options.clientEventsAllowed ?? (() => false),
      this.#userLimits,
      events
    )
    this.#http = new HttpApi(this, events)
    this.#membership = new ClusterMembership(
      options.cluster ?? memoryCluster(),
      this.limits,
      {
        sockets: this.sockets,
        lifecycle: this.lifecycle,
        subscriptionCounts: this.subscriptionCounts,
        receive: (message) => this.#frames.receive(message),
        report,
      },
      { heartbeatMs: (options.heartbeatInterval ?? 3) * 1000, events }
    )
    this.#frames = new FrameRouter({
      local: this.local,
      membership: this.#membership,
      ready: () => this.ready(),
      cacheTtlMs: (options.cacheTtl ?? 1800) * 1000,
      report,
      events,
    })
    this.#connections = new Connections({
      limits: this.limits,
      prefix: (options.path ?? '').replace(/\/+$/, ''),
      sockets: this.sockets,
      local: this.local,
      admission: this.#admission,
      messages: this.#messages,
      registry: this.#registry,
      membership: this.#membership,
      events,
      report,
    })
    this.#attachment = new HttpAttachment(
      {
        matches: (req) => this.#http.matches(req),
        handle: (req, res) => this.#http.handle(req, res),
        upgrade: (req, socket, head) => this.handleUpgrade(req, socket, head),
        report,
      },
      this.limits.shutdownTimeout
    )
  }

  /**
   * Whether clients can reach this server: attached to an HTTP server or
   * listening on its own port
   */
  get serving() {
    return this.#attachment.attached
  }

  /**
   * This node's id in its cluster, new on every start
   */
  get nodeId() {
    return this.#membership.nodeId
  }

  /**
   * Whether this node has joined its cluster (bus and state ready)
   */
  get joined() {
    return this.#membership.cluster !== undefined
  }

  /**
   * Whether the cluster's bus is connected (Redis); true for a bus that
   * cannot disconnect, false before the node joined
   */
  get busConnected() {
    const cluster = this.#membership.cluster
    return cluster ? (cluster.bus.connected ?? true) : false
  }

  /**
   * The cluster's channel state, once the node has joined it (every socket
   * and API request waits for that)
   */
  get state(): ChannelState {
    const cluster = this.#membership.cluster
    if (!cluster) throw new Error('The broadcast server has not joined its cluster yet')
    return cluster.state
  }

  /**
   * What a health check or a metrics scrape reads of this node
   */
  stats(): ServerStats {
    return {
      serving: this.serving,
      joined: this.joined,
      busConnected: this.busConnected,
      nodeId: this.nodeId ?? null,
      ...connectionCounts(this.sockets),
      webhooks: this.#webhooks.stats(),
    }
  }

  /**
   * A bounded, read-only picture of this node's connections and channels
   */
  snapshot(bounds: SnapshotBounds): ServerSnapshot {
    return snapshotOf(this.sockets, bounds)
  }

  /**
   * This node's sockets in a channel
   */
  subscribers(channel: string) {
    return this.local.count(channel)
  }

  /**
   * Resolves once this node's bus and state are ready
   */
  async ready() {
    const ready = this.#membership.ready
    if (!ready) throw new Error('The broadcast server is not started')
    return ready
  }

  /**
   * Starts the WebSocket server, joins the cluster and starts the liveness
   * timers (idempotent)
   */
  start() {
    if (this.#connections.open) return
    this.#membership.join()
    this.#admission.reopen()
    this.#userLimits.clear()
    this.#connections.start()
    this.#livenessTimer = startLivenessTimer(this.sockets, this.limits, this.#safely)
    this.#membership.startBeating(this.#safely)
    this.#webhooks.start()
    this.events.emit('started', this)
  }

  /**
   * Serves WebSocket upgrades on "<path>/app/<key>" and the HTTP API under
   * "/apps/<id>/" of an existing server (see takeOverListeners)
   */
  attach(server: Server) {
    if (this.#attachment.attached) return
    this.start()
    this.#attachment.attach(server)
  }

  /**
   * Listens on a port of its own (broadcast:serve)
   */
  async listen(port: number, host = '0.0.0.0') {
    this.start()
    const server = await this.#attachment.listen(port, host)
    await this.ready()
    const address = server.address() as AddressInfo
    return { host: address.address, port: address.port }
  }

  /**
   * Handles an upgrade when its path is "<path>/app/<key>"; false otherwise
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    return this.#connections.handleUpgrade(req, socket, head)
  }

  /**
   * Sends an event to the channels' sockets on every node (FrameRouter)
   */
  publish(channels: string[], event: string, data: string, exceptSocketId?: string) {
    return this.#frames.publish(channels, event, data, exceptSocketId)
  }

  /**
   * Sends a frame to a channel on every node; a bus failure is reported
   */
  relay(channel: string, frame: string, exceptSocketId?: string) {
    this.#frames.relay(channel, frame, exceptSocketId)
  }

  /**
   * Sends an event to the sockets signed in as a user, on every node
   */
  toUser(userId: string, event: string, data: string) {
    return this.#frames.toUser(userId, event, data)
  }

  /**
   * Closes the user's signed-in sockets with 4009 (no reconnect), everywhere
   */
  terminateUserConnections(userId: string) {
    return this.#frames.terminateUser(userId)
  }

  /**
   * Graceful shutdown: stop accepting, tell every client to reconnect
   * (4200), remove this node's state (never the other nodes'), leave the
   * bus and release the port when it is our own. A call while one runs
   * (SIGTERM and the app's own shutdown both close) shares its promise.
   */
  close(): Promise<void> {
    if (!this.#inFlightClose) {
      if (!this.#connections.open) return Promise.resolve()
      this.#inFlightClose = this.#close().finally(() => (this.#inFlightClose = undefined))
    }
    return this.#inFlightClose
  }

  async #close() {
    this.#admission.closing = true
    this.#attachment.detach()
    this.#http.close()
    clearInterval(this.#livenessTimer)
    this.#membership.stopBeating()

    await this.#connections.closeAll()
    this.subscriptionCounts.close()
    // Clients of a shared cluster reconnect to the other nodes, taking
    // their leaves back; alone, nobody can. Either way the member_removed
    // frames that stand go out before the node leaves the bus.
    await this.lifecycle.settle(this.#membership.shared ? 'after-delay' : 'now')

    this.#connections.stop()
    this.local.clear()
    await this.#membership.leave()
    await this.#attachment.closeOwn()
    // Last: the leaves of the last sockets go out too
    await this.#webhooks.close()
  }
}
