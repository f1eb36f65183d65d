import type { Duplex } from 'node:stream'
import type { IncomingMessage } from 'node:http'
import { WebSocketServer, type RawData } from 'ws'
import { Admission, type AddressCounts } from './admission.ts'
import type { OriginCheck } from './origins.ts'
import { startLivenessTimer } from './liveness.ts'
import type { ServerLimits } from '../limits.ts'
import type { LocalSockets } from './local_sockets.ts'
import type { ServerEvents } from '../server_events.ts'
import { SocketConnection, socketSettings, type SocketSettings } from './socket_connection.ts'
import { CloseCode, encodeFrame } from '../protocol.ts'
import { clientAddress, refuse, rejectUpgrade, upgradeKey } from './upgrade_request.ts'
import type { ClientAddress } from './upgrade_request.ts'
import type { WriteBatch } from './write_batch.ts'
import { servedWebSocketClass, type ServedWebSocket } from './served_web_socket.ts'

// How long clients get to close after the server said it shuts down
const CLOSE_GRACE_MS = 1000

/**
 * What connections need of the server: the app key clients connect with,
 * its limits, its sockets, where frames are delivered and written, where
 * it tells
 */
export interface ConnectionsHost {
  readonly key: string
  readonly limits: ServerLimits
  readonly sockets: Set<SocketConnection>
  readonly local: LocalSockets
  readonly writes: WriteBatch
  readonly events: ServerEvents
}

export interface ConnectionsOptions {
  /**
   * Path prefix before "/app/<key>", without a trailing slash
   */
  prefix: string
  /**
   * Whether an upgrade's Origin is allowed ("allowedOrigins")
   */
  originAllowed: OriginCheck
  /**
   * The client's address (the per-address cap); default the TCP peer
   */
  clientAddress?: ClientAddress
  /**
   * Handles a frame a client sent (the MessageHandler)
   */
  messages: { handle(socket: SocketConnection, raw: RawData): Promise<void> }
  /**
   * Takes a closed socket out of its channels (the ChannelRegistry)
   */
  registry: {
    unsubscribeAll(socket: SocketConnection, report: (error: unknown) => void): Promise<void>
  }
  /**
   * This node's place in its cluster (the ClusterMembership): a socket is
   * served once the node has joined, refused when the join failed
   */
  membership: {
    readonly cluster?: { readonly state: AddressCounts }
    readonly ready?: Promise<unknown>
  }
  report(error: unknown, where: string): void
  /**
   * Runs a timer's body, reporting what it throws
   */
  safely(where: string, body: () => void): void
}

/**
 * The life of a connection: the WebSocket handshake on "<path>/app/<key>",
 * admission, "pusher:connection_established", its messages, its liveness
 * (pings of idle sockets), and on close the leaving of every channel it
 * was in
 */
export class Connections {
  #wss?: WebSocketServer
  #admission: Admission
  #livenessTimer?: NodeJS.Timeout
  /**
   * What all its sockets share
   */
  #settings: SocketSettings
  /**
   * Disconnects still leaving their channels, awaited by closeAll()
   */
  #leaving = new Set<Promise<void>>()

  constructor(
    protected host: ConnectionsHost,
    protected options: ConnectionsOptions
  ) {
    this.#admission = new Admission(
      host.key,
      host.limits,
      options.originAllowed,
      () => options.membership.cluster?.state,
      options.report
    )
    this.#settings = socketSettings(host.limits.maxBufferedBytes, host.events, host.writes)
  }

  /**
   * Whether upgrades are taken
   */
  get open() {
    return this.#wss !== undefined
  }

  /**
   * Admits again from nothing, takes upgrades and starts the liveness
   * checks
   */
  start() {
    const { sockets, limits } = this.host
    this.#admission.reopen()
    this.#wss ??= new WebSocketServer({
      noServer: true,
      maxPayload: limits.maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: false,
      WebSocket: this.#WebSocket,
    })
    this.#livenessTimer = startLivenessTimer(sockets, limits, this.options.safely)
  }

  /**
   * Handles an upgrade when its path is "<path>/app/<key>"; false otherwise.
   * A key that is not valid percent-encoding gets a plain 400.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const key = upgradeKey(req.url ?? '/', this.options.prefix)
    if (key === undefined || !this.#wss) return false
    if (key === null) {
      rejectUpgrade(socket, 400, 'Malformed percent-encoding in the WebSocket path')
      return true
    }
    this.#wss.handleUpgrade(req, socket, head, (upgraded) => {
      // Bad frames and resets are "error" events, dropped (ServedWebSocket)
      const ws = upgraded as ServedWebSocket
      const connect = () => {
        try {
          this.#connect(ws, key, req, socket)
        } catch (error) {
          this.options.report(error, 'connect')
          ws.terminate()
        }
      }
      // A socket is served once the node has joined its cluster
      const { membership } = this.options
      if (membership.cluster) connect()
      else
        membership.ready?.then(connect, () =>
          refuse(ws, CloseCode.RECONNECT, 'Server not ready, retry later')
        )
    })
    return true
  }

  /**
   * Refuses new connections and stops the liveness checks at once, then
   * tells every client to reconnect (4200), drops those that do not close
   * within a second, and waits until each has left its channels
   */
  async closeAll() {
    this.#admission.closing = true
    clearInterval(this.#livenessTimer)
    const { sockets } = this.host
    const closed = [...sockets].map(
      (socket) => new Promise<void>((resolve) => socket.ws.once('close', () => resolve()))
    )
    for (const socket of sockets) socket.close(CloseCode.RECONNECT, 'Server shutting down')
    const grace = setTimeout(() => {
      for (const socket of sockets) socket.ws.terminate()
    }, CLOSE_GRACE_MS)
    await Promise.all(closed)
    clearTimeout(grace)
    await Promise.all(this.#leaving)
  }

  /**
   * Takes no more upgrades
   */
  stop() {
    this.#wss?.close()
    this.#wss = undefined
  }

  #connect(ws: ServedWebSocket, key: string, req: IncomingMessage, transport: Duplex) {
    const admission = this.#admission
    const address = clientAddress(req, this.options.clientAddress)
    const refusal = admission.refusal(key, req, this.host.sockets.size, address)
    if (refusal) return refuse(ws, ...refusal)
    const answer = admission.admit(address)
    if (!(answer instanceof Promise)) {
      if (answer) return refuse(ws, ...answer)
      return this.#serve(ws, address, transport)
    }
    // The cluster counts the address (Redis): the socket waits, unserved
    answer
      .then((refused) => {
        if (ws.readyState !== ws.OPEN || admission.closing) {
          if (!refused) admission.closed(address)
          if (ws.readyState === ws.OPEN) refuse(ws, CloseCode.RECONNECT, 'Server shutting down')
          return
        }
        if (refused) return refuse(ws, ...refused)
        this.#serve(ws, address, transport)
      })
      .catch((error) => {
        this.options.report(error, 'connect')
        ws.terminate()
      })
  }

  /**
   * An admitted socket: counted, listened to, told its id
   */
  #serve(ws: ServedWebSocket, address: string, transport: Duplex) {
    const { limits, sockets } = this.host
    const socket = new SocketConnection(ws, this.#settings, address, transport)
    sockets.add(socket)
    // Its messages and close reach the server from now on
    ws.connection = socket
    socket.send(
      encodeFrame(
        'pusher:connection_established',
        JSON.stringify({ socket_id: socket.id, activity_timeout: limits.activityTimeout })
      )
    )
  }

  /**
   * Where every served socket's messages and close go (one object for the
   * server: see ServedWebSocket)
   */
  #WebSocket = servedWebSocketClass({
    message: (socket, raw) => {
      this.options.messages.handle(socket, raw).catch((error) => {
        this.options.report(error, 'message')
        try {
          socket.error(null, 'Internal error')
        } catch (failure) {
          this.options.report(failure, 'message')
        }
      })
    },
    close: (socket) => {
      const leaving = this.#disconnect(socket).catch((error) => this.options.report(error, 'close'))
      this.#leaving.add(leaving)
      leaving.finally(() => this.#leaving.delete(leaving))
    },
  })

  async #disconnect(socket: SocketConnection) {
    const { sockets, local } = this.host
    const { registry, report } = this.options
    socket.closed = true
    sockets.delete(socket)
    this.#admission.closed(socket.address)
    await registry.unsubscribeAll(socket, (error) => report(error, 'close'))
    local.removeSocket(socket)
  }
}
