import type { Duplex } from 'node:stream'
import type { AddressInfo } from 'node:net'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { WebSocketServer, type RawData, type WebSocket } from 'ws'
import { HttpApi } from './http_api/http_api.ts'
import { ChannelRegistry } from './channel_registry.ts'
import { LocalSockets } from './local_sockets.ts'
import type { BusMessage } from './bus/bus.ts'
import type { ChannelState } from './state/channel_state.ts'
import { createNodeId, memoryCluster, type ClusterAdapter, type ClusterFactory } from './cluster.ts'
import { SocketConnection } from './socket_connection.ts'
import { resolveLimits, type ServerLimits } from './limits.ts'
import { isCacheChannel, USER_CHANNEL_PREFIX } from './channel_rules.ts'
import { MessageHandler, type ClientEventsAllowed } from './message_handler.ts'
import { CloseCode, closeReason, encodeFrame, errorFrame } from './protocol.ts'
import { originCheck, type OriginCheck } from './origins.ts'
import { UserChannelLimits } from './user_channel_limits.ts'
import { rejectUpgrade, remoteAddress, upgradeKey } from './upgrade_request.ts'
import { LifecycleReporter } from './lifecycle_reporter.ts'
import { SubscriptionCounts, type SubscriptionCountOption } from './subscription_counts.ts'
import type { LifecycleListener } from './lifecycle_events.ts'
import type { ServerMetrics } from './metrics/server_metrics.ts'
import { countDelivery } from './metrics/delivery.ts'
import debug from './debug.ts'

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void

/**
 * Where errors no input should cause are reported (the AdonisJS logger
 * fits)
 */
export interface ServerLogger {
  error(details: object, message: string): void
  warn(details: object, message: string): void
}

/**
 * After "shutdownTimeout", how often and how many times to look whether
 * the app has closed its HTTP server yet (it does right after this one)
 */
const SHUTDOWN_CHECK_MS = 250
const SHUTDOWN_CHECKS = 120

/**
 * Options of the embedded server
 */
export interface EmbeddedServerOptions {
  appId: string
  key: string
  secret: string
  /**
   * Path prefix before "/app/<key>" (pusher-js "wsPath"). Default: none
   */
  path?: string
  limits?: Partial<ServerLimits>
  /**
   * Makes this node's bus and channel state on every start, so several
   * processes act as one server. Default: in memory, one process
   * ("memoryCluster()")
   */
  cluster?: ClusterFactory
  /**
   * How often this node marks itself alive and looks for dead nodes to
   * remove, in seconds. Default: 3
   */
  heartbeatInterval?: number
  /**
   * Whether client events may be sent on a channel, asked per message (the
   * local driver asks the policy service). Default: never
   */
  clientEventsAllowed?: ClientEventsAllowed
  /**
   * How long cache channels keep their last event, in seconds. Default: 1800
   */
  cacheTtl?: number
  /**
   * Browser origins allowed to open a WebSocket ("Origin" header):
   * "https://app.example.com", "app.example.com" (any scheme and port),
   * "*.example.com" (subdomains) or "*". Others are closed with 4009.
   * Default: any origin, as Pusher and Reverb
   */
  allowedOrigins?: string[]
  /**
   * Receives errors that escaped a listener (a bug, never bad input: that
   * is answered). Default: NODE_DEBUG=adonisjs:broadcast output
   */
  logger?: ServerLogger
  /**
   * Receives the channel lifecycle events ("channel_occupied", ...), each
   * once for the cluster. Default: none
   */
  onLifecycleEvent?: LifecycleListener
  /**
   * How long "channel_vacated" and "member_removed" wait, in seconds: a
   * join within that time takes them back, and makes no event either (a
   * page reload). The channel's clients get "member_removed" after the
   * same delay, and no "member_added" for a member that came back within
   * it. Default: 3, as Pusher
   */
  leaveEventDelay?: number
  /**
   * Channels whose subscribers get their subscription count
   * ("pusher:subscription_count" in pusher-js) after each change: true,
   * or a function of the channel name. Never presence channels.
   * Default: none
   */
  subscriptionCount?: SubscriptionCountOption
  /**
   * Counts what the server does (Prometheus metrics). Every hook is O(1)
   * and allocation-free. Default: none
   */
  metrics?: ServerMetrics
  /**
   * Told of every event published from this node (the debug console).
   * Must not throw. Default: none
   */
  onPublish?: (channels: string[], event: string, data: string) => void
}

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
  #wss?: WebSocketServer
  #timer?: NodeJS.Timeout
  #heartbeatTimer?: NodeJS.Timeout
  #heartbeatMs: number
  #clusterFactory: ClusterFactory
  #cluster?: ClusterAdapter
  #ready?: Promise<ClusterAdapter>
  #nodeId?: string
  #heartbeatRunning = false
  /**
   * Disconnects still leaving their channels, awaited by close()
   */
  #leaving = new Set<Promise<void>>()
  #closing = false
  /**
   * The close in progress, shared by every caller until it ends
   */
  #inFlightClose?: Promise<void>
  #detach?: () => void
  #ownServer?: Server
  #originAllowed: OriginCheck
  #userLimits: UserChannelLimits
  #logger?: ServerLogger
  #metrics?: ServerMetrics
  #onPublish?: EmbeddedServerOptions['onPublish']
  /**
   * Open sockets per client address, for "maxConnectionsPerIp"
   */
  #perAddress = new Map<string, number>()

  constructor(options: EmbeddedServerOptions) {
    this.appId = options.appId
    this.key = options.key
    this.secret = options.secret
    this.limits = resolveLimits(options.limits)
    this.#clusterFactory = options.cluster ?? memoryCluster()
    this.#heartbeatMs = (options.heartbeatInterval ?? 3) * 1000
    this.#prefix = (options.path ?? '').replace(/\/+$/, '')
    this.#cacheTtlMs = (options.cacheTtl ?? 1800) * 1000
    this.#originAllowed = originCheck(options.allowedOrigins)
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
    return this.#nodeId
  }

  /**
   * Whether this node has joined its cluster (bus and state ready)
   */
  get joined() {
    return this.#cluster !== undefined
  }

  /**
   * Whether the cluster's bus is connected (Redis); true for a bus that
   * cannot disconnect, false before the node joined
   */
  get busConnected() {
    return this.#cluster ? (this.#cluster.bus.connected ?? true) : false
  }

  /**
   * The cluster's channel state, once the node has joined it (every socket
   * and API request waits for that)
   */
  get state(): ChannelState {
    if (!this.#cluster) throw new Error('The broadcast server has not joined its cluster yet')
    return this.#cluster.state
  }

  /**
   * Resolves once this node's bus and state are ready
   */
  async ready() {
    if (!this.#ready) throw new Error('The broadcast server is not started')
    return this.#ready
  }

  /**
   * Starts the WebSocket server, joins the cluster and starts the liveness
   * timers (idempotent)
   */
  start() {
    if (this.#wss) return
    this.#join()
    this.#closing = false
    this.#perAddress.clear()
    this.#userLimits.clear()
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.limits.maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: false,
    })
    const tick = Math.max(250, Math.min(this.limits.activityTimeout, this.limits.pongTimeout) * 500)
    this.#timer = setInterval(
      () => this.#safely('liveness timer', () => this.#checkLiveness()),
      tick
    ).unref()
    this.#heartbeatTimer = setInterval(
      () => this.#safely('heartbeat', () => this.#heartbeat()),
      this.#heartbeatMs
    ).unref()
  }

  /**
   * Makes this node's bus and state under a new node id and subscribes to
   * the other nodes' messages. A failure is reported; sockets and requests
   * waiting for it are refused.
   */
  #join() {
    const nodeId = createNodeId()
    this.#nodeId = nodeId
    const ready = (async () => {
      const cluster = await this.#clusterFactory(nodeId, this.limits)
      if (this.#metrics) cluster.bus.instrument?.(this.#metrics)
      await cluster.bus.start((message) =>
        this.#safely('bus message', () => this.#receive(message))
      )
      // Registered before any join, so a node that dies is reaped
      await cluster.state.heartbeat()
      if (this.#nodeId === nodeId) this.#cluster = cluster
      return cluster
    })()
    ready.catch((error) => this.#report(error, 'joining the cluster'))
    this.#ready = ready
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

  /**
   * Marks this node alive, then removes dead nodes' subscriptions and
   * tells their channels who left. One round at a time.
   */
  #heartbeat() {
    const cluster = this.#cluster
    if (!cluster || this.#heartbeatRunning) return
    this.#heartbeatRunning = true
    const round = async () => {
      if (await cluster.state.heartbeat()) await this.#rejoin(cluster)
      const reaped = await cluster.state.reapDeadNodes(this.lifecycle.leaveDelayMs)
      for (const leave of reaped) {
        this.lifecycle.left(cluster.state, leave.channel, leave)
        this.subscriptionCounts.changed(leave.channel)
      }
    }
    round()
      .catch((error) => this.#report(error, 'heartbeat'))
      .finally(() => (this.#heartbeatRunning = false))
  }

  /**
   * The shared state lost this node (Redis restarted empty, or this node
   * was reaped after a stall): its sockets join their channels again, so
   * counts and presence lists converge. Joins are idempotent; members the
   * other nodes' clients already know are not announced again.
   */
  async #rejoin(cluster: ClusterAdapter) {
    for (const socket of this.sockets) {
      for (const [channel, member] of socket.channels) {
        await cluster.state.join(channel, socket.id, member ?? undefined)
      }
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
   * "/apps/<id>/" of an existing server. API requests are answered before
   * the server's own request listeners (the app's middleware would consume
   * the raw body the signature covers); every other request and upgrade is
   * left to them. Nothing a client sends may throw out of these listeners:
   * that would stop the whole app.
   */
  attach(server: Server) {
    if (this.#detach) return
    this.start()
    const listeners = server.listeners('request') as RequestListener[]
    server.removeAllListeners('request')
    const onRequest: RequestListener = (req, res) => {
      let ours = false
      try {
        ours = this.#http.matches(req)
      } catch (error) {
        this.#report(error, 'HTTP API routing')
      }
      if (ours) {
        this.#http.handle(req, res).catch((error) => {
          this.#report(error, 'HTTP API')
          res.destroy()
        })
        return
      }
      for (const listener of listeners) listener.call(server, req, res)
    }
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      try {
        if (this.handleUpgrade(req, socket, head)) return
      } catch (error) {
        this.#report(error, 'upgrade')
        socket.destroy()
        return
      }
      // Without another upgrade listener, Node would have dropped it too
      if (server.listenerCount('upgrade') === 1) socket.destroy()
    }
    server.on('request', onRequest)
    server.on('upgrade', onUpgrade)
    this.#detach = () => {
      server.removeListener('request', onRequest)
      server.removeListener('upgrade', onUpgrade)
      for (const listener of listeners) server.on('request', listener)
      this.#detach = undefined
      this.#boundShutdown(server)
    }
  }

  /**
   * The app closes its HTTP server after this one ("server.close()" also
   * drops idle keep-alive connections) and then waits for every request in
   * flight: a stalled upload would hold it for minutes. Once the server no
   * longer listens, its requests get "shutdownTimeout" from the start of
   * the shutdown; then every connection left is closed.
   */
  #boundShutdown(server: Server) {
    const grace = this.limits.shutdownTimeout
    if (!Number.isFinite(grace) || grace < 0) return
    let checks = SHUTDOWN_CHECKS
    const check = () => {
      // Attached again: not a shutdown
      if (this.#detach) return
      if (!server.listening) return server.closeAllConnections()
      if (--checks > 0) setTimeout(check, SHUTDOWN_CHECK_MS).unref()
    }
    setTimeout(check, grace * 1000).unref()
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
      if (this.#cluster) connect()
      else
        this.#ready?.then(connect, () =>
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
      const cluster = this.#cluster ?? (await this.ready())
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
    if (!this.#ready) return
    try {
      const cluster = this.#cluster ?? (await this.#ready)
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
    this.#closing = true
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
    await this.lifecycle.settle(this.#clusterFactory.shared ? 'after-delay' : 'now')

    wss.close()
    this.#wss = undefined
    await this.#leaveCluster()
    if (this.#ownServer) {
      const server = this.#ownServer
      this.#ownServer = undefined
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  }

  async #leaveCluster() {
    const ready = this.#ready
    this.#ready = undefined
    this.#cluster = undefined
    this.#nodeId = undefined
    const cluster = await ready?.catch(() => undefined)
    this.local.clear()
    if (!cluster) return
    try {
      await cluster.state.removeNode()
    } catch (error) {
      this.#report(error, 'removing the node state')
    }
    try {
      await cluster.bus.close()
      await cluster.close?.()
    } catch (error) {
      this.#report(error, 'closing the bus')
    }
  }

  #connect(ws: WebSocket, key: string, req: IncomingMessage, transport: Duplex) {
    if (key !== this.key) {
      return refuse(
        ws,
        CloseCode.APP_NOT_FOUND,
        `Application does not exist: "${key.slice(0, 50)}"`
      )
    }
    if (this.#closing) {
      return refuse(ws, CloseCode.RECONNECT, 'Server shutting down')
    }
    const origin = originHeader(req)
    if (!this.#originAllowed(origin)) {
      // 4009 as Reverb: pusher-js stops instead of retrying forever
      return refuse(ws, CloseCode.UNAUTHORIZED, `Origin not allowed: "${origin?.slice(0, 100)}"`)
    }
    if (this.sockets.size >= this.limits.maxConnections) {
      return refuse(ws, CloseCode.OVER_CAPACITY, 'Over capacity')
    }
    const address = remoteAddress(req.socket)
    const fromAddress = this.#perAddress.get(address) ?? 0
    const perIp = this.limits.maxConnectionsPerIp
    if (perIp > 0 && fromAddress >= perIp) {
      return refuse(
        ws,
        CloseCode.OVER_CAPACITY,
        `Over capacity: ${perIp} connections from one address`
      )
    }

    const socket = new SocketConnection(ws, this.limits.maxBufferedBytes, address, transport)
    socket.metrics = this.#metrics
    this.sockets.add(socket)
    this.#perAddress.set(address, fromAddress + 1)
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
    const left = (this.#perAddress.get(socket.address) ?? 1) - 1
    if (left > 0) this.#perAddress.set(socket.address, left)
    else this.#perAddress.delete(socket.address)
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

  /**
   * Pings sockets idle for "activityTimeout" and closes with 4201 those
   * that do not answer within "pongTimeout"
   */
  #checkLiveness() {
    const now = Date.now()
    const idle = this.limits.activityTimeout * 1000
    const pong = this.limits.pongTimeout * 1000
    const ping = encodeFrame('pusher:ping', '{}')
    for (const socket of this.sockets) {
      this.#safely('liveness check', () => {
        if (socket.pingedAt !== undefined) {
          if (now - socket.pingedAt > pong)
            socket.close(CloseCode.PONG_NOT_RECEIVED, 'Pong reply not received in time')
        } else if (now - socket.lastActivity >= idle) {
          socket.pingedAt = now
          socket.send(ping)
        }
      })
    }
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
 * The Origin of an upgrade ("Sec-WebSocket-Origin" in protocol version 8)
 */
function originHeader(req: IncomingMessage): string | undefined {
  const origin = req.headers.origin ?? req.headers['sec-websocket-origin']
  return typeof origin === 'string' ? origin : undefined
}

/**
 * Refuses a connection as Pusher does: "pusher:error" then the same close
 * code
 */
function refuse(ws: WebSocket, code: number, message: string) {
  ws.send(errorFrame(code, message))
  ws.close(code, closeReason(message))
}
