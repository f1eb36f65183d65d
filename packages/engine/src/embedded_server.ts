import type { Duplex } from 'node:stream'
import type { AddressInfo } from 'node:net'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { WebSocketServer, type RawData, type WebSocket } from 'ws'
import { HttpApi } from './http_api.ts'
import { ChannelRegistry } from './channel_registry.ts'
import { LocalSockets } from './local_sockets.ts'
import type { BusMessage } from './bus/bus.ts'
import type { ChannelState } from './state/channel_state.ts'
import { memoryCluster } from './cluster.ts'
import { ClusterMembership } from './cluster_membership.ts'
import { SocketConnection } from './socket_connection.ts'
import { resolveLimits, type ServerLimits } from './limits.ts'
import { isCacheChannel, USER_CHANNEL_PREFIX } from './channel_rules.ts'
import { MessageHandler } from './message_handler.ts'
import { CloseCode, closeReason, encodeFrame, errorFrame } from './protocol.ts'
import { originCheck } from './origins.ts'
import { Admission } from './admission.ts'
import { boundShutdown, takeOverListeners } from './http_attachment.ts'
import { checkLiveness, livenessTick } from './liveness.ts'
import { UserChannelLimits } from './user_channel_limits.ts'
import { rejectUpgrade, remoteAddress, upgradeKey } from './upgrade_request.ts'
import { LifecycleReporter } from './lifecycle_reporter.ts'
import { SubscriptionCounts } from './subscription_counts.ts'
import type { ServerMetrics } from './metrics/server_metrics.ts'
import type { EmbeddedServerOptions, ServerLogger } from './server_options.ts'
import { countDelivery } from './metrics/delivery.ts'
import debug from './debug.ts'

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

  #prefix: string
  #cacheTtlMs: number
  #registry: ChannelRegistry
  #messages: MessageHandler
  #http: HttpApi
  #membership: ClusterMembership
  #admission: Admission
  #wss?: WebSocketServer
  #timer?: NodeJS.Timeout
  #heartbeatTimer?: NodeJS.Timeout
  #heartbeatMs: number
  /**
   * Disconnects still leaving their channels, awaited by close()
   */
  #leaving = new Set<Promise<void>>()
  /**
   * The close in progress, shared by every caller until it ends
   */
  #inFlightClose?: Promise<void>
  #detach?: () => void
  #ownServer?: Server
  #userLimits: UserChannelLimits
  #logger?: ServerLogger
  #metrics?: ServerMetrics
  #onPublish?: EmbeddedServerOptions['onPublish']

  constructor(options: EmbeddedServerOptions) {
    this.appId = options.appId
    this.key = options.key
    this.secret = options.secret
    this.limits = resolveLimits(options.limits)
    this.#heartbeatMs = (options.heartbeatInterval ?? 3) * 1000
    this.#prefix = (options.path ?? '').replace(/\/+$/, '')
    this.#cacheTtlMs = (options.cacheTtl ?? 1800) * 1000
    this.#admission = new Admission(this.key, this.limits, originCheck(options.allowedOrigins))
    this.#logger = options.logger
    this.#metrics = options.metrics
    this.#onPublish = options.onPublish
    this.#userLimits = new UserChannelLimits(this.limits)
    const report = (error: unknown, where: string) => this.#report(error, where)
    this.lifecycle = new LifecycleReporter({
      listener: options.onLifecycleEvent,
      leaveDelayMs: (options.leaveEventDelay ?? 3) * 1000,
      onMemberRemoved: (channel, userId) => this.#memberRemoved(channel, userId),
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
      options.metrics
    )
    this.#http = new HttpApi(this, options.metrics)
    this.#membership = new ClusterMembership(
      options.cluster ?? memoryCluster(),
      this.limits,
      {
        sockets: this.sockets,
        lifecycle: this.lifecycle,
        subscriptionCounts: this.subscriptionCounts,
        receive: (message) => this.#receive(message),
        report,
      },
      options.metrics
    )
  }

  /**
   * Whether clients can reach this server: attached to an HTTP server or
   * listening on its own port
   */
  get serving() {
    return this.#detach !== undefined
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
    if (this.#wss) return
    this.#membership.join()
    this.#admission.closing = false
    this.#admission.clear()
    this.#userLimits.clear()
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.limits.maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: false,
    })
    const safely = (where: string, body: () => void) => this.#safely(where, body)
    this.#timer = setInterval(
      () => safely('liveness timer', () => checkLiveness(this.sockets, this.limits, safely)),
      livenessTick(this.limits)
    ).unref()
    this.#heartbeatTimer = setInterval(
      () => safely('heartbeat', () => this.#membership.heartbeat()),
      this.#heartbeatMs
    ).unref()
  }

  /**
   * A message from another node: for this node's sockets only
   */
  #receive(message: BusMessage) {
    if (message.type === 'publish') {
      if (this.#metrics)
        countDelivery(
          this.#metrics,
          this.local.count(message.channel),
          message.exceptSocketId !== undefined,
          message.frame
        )
      this.local.publish(message.channel, Buffer.from(message.frame), message.exceptSocketId)
    } else if (message.type === 'terminate_user') {
      this.#terminateLocal(message.userId)
    }
  }

  #memberRemoved(channel: string, userId: string) {
    this.relay(
      channel,
      encodeFrame('pusher_internal:member_removed', JSON.stringify({ user_id: userId }), channel)
    )
  }

  /**
   * Serves WebSocket upgrades on "<path>/app/<key>" and the HTTP API under
   * "/apps/<id>/" of an existing server (see takeOverListeners)
   */
  attach(server: Server) {
    if (this.#detach) return
    this.start()
    const restore = takeOverListeners(server, {
      matches: (req) => this.#http.matches(req),
      handle: (req, res) => this.#http.handle(req, res),
      upgrade: (req, socket, head) => this.handleUpgrade(req, socket, head),
      report: (error, where) => this.#report(error, where),
    })
    this.#detach = () => {
      restore()
      this.#detach = undefined
      boundShutdown(server, this.limits.shutdownTimeout, () => this.#detach !== undefined)
    }
  }

  /**
   * Listens on a port of its own (broadcast:serve)
   */
  async listen(port: number, host = '0.0.0.0') {
    const server = createServer((_req, res) => res.writeHead(404).end())
    this.attach(server)
    this.#ownServer = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => resolve())
    })
    await this.ready()
    const address = server.address() as AddressInfo
    return { host: address.address, port: address.port }
  }

  /**
   * Handles an upgrade when its path is "<path>/app/<key>"; false otherwise.
   * A key that is not valid percent-encoding gets a plain 400.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const key = upgradeKey(req.url ?? '/', this.#prefix)
    if (key === undefined || !this.#wss) return false
    if (key === null) {
      rejectUpgrade(socket, 400, 'Malformed percent-encoding in the WebSocket path')
      return true
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      /**
       * "ws" reports bad frames and resets as "error" events: without a
       * listener, garbage sent to a socket being refused would be thrown
       */
      ws.on('error', ignore)
      const connect = () => {
        try {
          this.#connect(ws, key, req, socket)
        } catch (error) {
          this.#report(error, 'connect')
          ws.terminate()
        }
      }
      // A socket is served once the node has joined its cluster
      if (this.#membership.cluster) connect()
      else
        this.#membership.ready?.then(connect, () =>
          refuse(ws, CloseCode.RECONNECT, 'Server not ready, retry later')
        )
    })
    return true
  }

  /**
   * Sends an event to every socket of the channels but the excluded one, on
   * every node. This node's sockets have it when this returns (the frame
   * is serialized once per channel and the same Buffer goes to every
   * socket); the promise settles once the other nodes were told, and
   * rejects when the bus could not take it (also reported).
   */
  publish(channels: string[], event: string, data: string, exceptSocketId?: string) {
    this.#onPublish?.(channels, event, data)
    const sent: Promise<void>[] = []
    for (const channel of channels) {
      const frame = encodeFrame(event, data, channel)
      sent.push(this.#publishFrame(channel, frame, exceptSocketId))
      if (isCacheChannel(channel)) sent.push(this.#cacheEvent(channel, frame))
    }
    return sent.length === 1 ? sent[0] : Promise.all(sent).then(() => {})
  }

  /**
   * Sends a frame to a channel on every node, for a caller with nobody to
   * tell of a bus failure (it is reported)
   */
  relay(channel: string, frame: string, exceptSocketId?: string) {
    this.#publishFrame(channel, frame, exceptSocketId).catch(() => {})
  }

  #publishFrame(channel: string, frame: string, exceptSocketId?: string) {
    if (this.#metrics)
      countDelivery(this.#metrics, this.local.count(channel), exceptSocketId !== undefined, frame)
    this.local.publish(channel, Buffer.from(frame), exceptSocketId)
    return this.#send({ type: 'publish', channel, frame, exceptSocketId })
  }

  async #cacheEvent(channel: string, frame: string) {
    try {
      const cluster = this.#membership.cluster ?? (await this.ready())
      await cluster.state.cacheEvent(channel, frame, this.#cacheTtlMs)
    } catch (error) {
      this.#report(error, 'caching an event')
      throw error
    }
  }

  /**
   * Hands a message to the other nodes. Not started: there is no cluster
   * to tell.
   */
  async #send(message: BusMessage) {
    const { ready } = this.#membership
    if (!ready) return
    try {
      const cluster = this.#membership.cluster ?? (await ready)
      await cluster.bus.send(message)
    } catch (error) {
      this.#report(error, 'bus send')
      throw error
    }
  }

  /**
   * Sends an event to the sockets signed in as a user, on every node
   */
  toUser(userId: string, event: string, data: string) {
    return this.publish([`${USER_CHANNEL_PREFIX}${userId}`], event, data)
  }

  /**
   * Closes the user's signed-in sockets with 4009 (clients do not
   * reconnect), on every node
   */
  async terminateUserConnections(userId: string) {
    this.#terminateLocal(userId)
    await this.#send({ type: 'terminate_user', userId })
  }

  #terminateLocal(userId: string) {
    this.local.forUser(userId, (socket) =>
      socket.close(CloseCode.UNAUTHORIZED, 'You got disconnected by the app.')
    )
  }

  /**
   * Graceful shutdown: stop accepting, tell every client to reconnect
   * (4200), remove this node's state (never the other nodes'), leave the
   * bus and release the port when it is our own. A call while one runs
   * (SIGTERM and the app's own shutdown both close) shares its promise.
   */
  close(): Promise<void> {
    if (!this.#inFlightClose) {
      if (!this.#wss) return Promise.resolve()
      this.#inFlightClose = this.#close().finally(() => (this.#inFlightClose = undefined))
    }
    return this.#inFlightClose
  }

  async #close() {
    const wss = this.#wss!
    this.#admission.closing = true
    this.#detach?.()
    this.#http.close()
    clearInterval(this.#timer)
    clearInterval(this.#heartbeatTimer)

    const closed = [...this.sockets].map(
      (socket) => new Promise<void>((resolve) => socket.ws.once('close', () => resolve()))
    )
    for (const socket of this.sockets) socket.close(CloseCode.RECONNECT, 'Server shutting down')
    const grace = setTimeout(() => {
      for (const socket of this.sockets) socket.ws.terminate()
    }, 1000)
    await Promise.all(closed)
    clearTimeout(grace)
    await Promise.all(this.#leaving)
    this.subscriptionCounts.close()
    // Clients of a shared cluster reconnect to the other nodes, taking
    // their leaves back; alone, nobody can. Either way the member_removed
    // frames that stand go out before the node leaves the bus.
    await this.lifecycle.settle(this.#membership.shared ? 'after-delay' : 'now')

    wss.close()
    this.#wss = undefined
    this.local.clear()
    await this.#membership.leave()
    if (this.#ownServer) {
      const server = this.#ownServer
      this.#ownServer = undefined
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  }

  #connect(ws: WebSocket, key: string, req: IncomingMessage, transport: Duplex) {
    const address = remoteAddress(req.socket)
    const refusal = this.#admission.refusal(key, req, this.sockets.size, address)
    if (refusal) return refuse(ws, ...refusal)

    const socket = new SocketConnection(ws, this.limits.maxBufferedBytes, address, transport)
    socket.metrics = this.#metrics
    this.sockets.add(socket)
    this.#admission.opened(address)
    ;(ws as ServedWebSocket)[CONNECTION] = socket
    ws.on('message', this.#listeners.message)
    ws.on('pong', onPong)
    ws.on('close', this.#listeners.close)
    socket.send(
      encodeFrame(
        'pusher:connection_established',
        JSON.stringify({ socket_id: socket.id, activity_timeout: this.limits.activityTimeout })
      )
    )
  }

  /**
   * One message and one close listener for every socket (closures per
   * socket would cost memory on every idle connection); "this" is the
   * socket's WebSocket
   */
  #listeners = (() => {
    const server = this
    return {
      message(this: ServedWebSocket, raw: RawData) {
        const socket = this[CONNECTION]!
        server.#messages.handle(socket, raw).catch((error) => {
          server.#report(error, 'message')
          server.#safely('message', () => socket.error(null, 'Internal error'))
        })
      },
      close(this: ServedWebSocket) {
        const leaving = server
          .#disconnect(this[CONNECTION]!)
          .catch((error) => server.#report(error, 'close'))
        server.#leaving.add(leaving)
        leaving.finally(() => server.#leaving.delete(leaving))
      },
    }
  })()

  async #disconnect(socket: SocketConnection) {
    socket.closed = true
    this.sockets.delete(socket)
    this.#admission.closed(socket.address)
    socket.clearPending()
    // One failing channel must not keep the others (and their members) alive
    for (const channel of [...socket.channels.keys()]) {
      try {
        await this.#registry.unsubscribe(socket, channel)
      } catch (error) {
        this.#report(error, 'close')
      }
    }
    this.local.removeSocket(socket)
  }

  /**
   * Runs a listener body; what it throws is reported, never rethrown
   */
  #safely(where: string, body: () => void) {
    try {
      body()
    } catch (error) {
      this.#report(error, where)
    }
  }

  #report(error: unknown, where: string) {
    try {
      if (this.#logger) this.#logger.error({ err: error }, `broadcast server: ${where} failed`)
      else debug('broadcast server: %s failed: %O', where, error)
    } catch {}
  }
}

/**
 * The connection a served WebSocket belongs to
 */
const CONNECTION = Symbol('connection')
type ServedWebSocket = WebSocket & { [CONNECTION]?: SocketConnection }

/**
 * A pong proves the socket alive
 */
function onPong(this: ServedWebSocket) {
  const socket = this[CONNECTION]!
  socket.lastActivity = Date.now()
  socket.pingedAt = undefined
}

/**
 * A listener that keeps nothing alive (an arrow function here would hold
 * the upgrade request for the life of the socket)
 */
function ignore() {}

/**
 * Refuses a connection as Pusher does: "pusher:error" then the same close
 * code
 */
function refuse(ws: WebSocket, code: number, message: string) {
  ws.send(errorFrame(code, message))
  ws.close(code, closeReason(message))
}
