import type { Duplex } from 'node:stream'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void

/**
 * After "shutdownTimeout", how often and how many times to look whether
 * the app has closed its HTTP server yet (it does right after this one)
 */
const SHUTDOWN_CHECK_MS = 250
const SHUTDOWN_CHECKS = 120

/**
 * What the server answers on an HTTP server it is attached to
 */
export interface AttachedHandlers {
  /**
   * Whether a request is the HTTP API's
   */
  matches(req: IncomingMessage): boolean
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>
  /**
   * Handles an upgrade that is ours; false leaves it to others
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean
  report(error: unknown, where: string): void
}

/**
 * Puts the HTTP API in front of the server's own request listeners (the
 * app's middleware would consume the raw body the signature covers) and
 * serves our upgrades; every other request and upgrade is left to the
 * server's listeners. Nothing a client sends may throw out of these
 * listeners: that would stop the whole app. Returns what gives the server
 * its listeners back.
 */
export function takeOverListeners(server: Server, handlers: AttachedHandlers): () => void {
  const listeners = server.listeners('request') as RequestListener[]
  server.removeAllListeners('request')
  const onRequest: RequestListener = (req, res) => {
    let ours = false
    try {
      ours = handlers.matches(req)
    } catch (error) {
      handlers.report(error, 'HTTP API routing')
    }
    if (ours) {
      handlers.handle(req, res).catch((error) => {
        handlers.report(error, 'HTTP API')
        res.destroy()
      })
      return
    }
    for (const listener of listeners) listener.call(server, req, res)
  }
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    try {
      if (handlers.upgrade(req, socket, head)) return
    } catch (error) {
      handlers.report(error, 'upgrade')
      socket.destroy()
      return
    }
    // Without another upgrade listener, Node would have dropped it too
    if (server.listenerCount('upgrade') === 1) socket.destroy()
  }
  server.on('request', onRequest)
  server.on('upgrade', onUpgrade)
  return () => {
    server.removeListener('request', onRequest)
    server.removeListener('upgrade', onUpgrade)
    for (const listener of listeners) server.on('request', listener)
  }
}

/**
 * The app closes its HTTP server after this one ("server.close()" also
 * drops idle keep-alive connections) and then waits for every request in
 * flight: a stalled upload would hold it for minutes. Once the server no
 * longer listens, its requests get "graceSeconds" from the start of the
 * shutdown; then every connection left is closed. "attachedAgain" stops
 * it: not a shutdown after all.
 */
export function boundShutdown(server: Server, graceSeconds: number, attachedAgain: () => boolean) {
  if (!Number.isFinite(graceSeconds) || graceSeconds < 0) return
  let checks = SHUTDOWN_CHECKS
  const check = () => {
    if (attachedAgain()) return
    if (!server.listening) return server.closeAllConnections()
    if (--checks > 0) setTimeout(check, SHUTDOWN_CHECK_MS).unref()
  }
  setTimeout(check, graceSeconds * 1000).unref()
}

/**
 * Where the server is reachable: attached to one HTTP server at a time,
 * which may be one of its own (broadcast:serve)
 */
export class HttpAttachment {
  #detach?: () => void
  #own?: Server

  constructor(
    protected handlers: AttachedHandlers,
    protected shutdownTimeout: number
  ) {}

  get attached() {
    return this.#detach !== undefined
  }

  /**
   * Takes over the server's listeners (idempotent while attached)
   */
  attach(server: Server) {
    if (this.#detach) return
    const restore = takeOverListeners(server, this.handlers)
    this.#detach = () => {
      restore()
      this.#detach = undefined
      boundShutdown(server, this.shutdownTimeout, () => this.#detach !== undefined)
    }
  }

  /**
   * Attaches to an HTTP server of its own, then listens; anything not the
   * engine's is a 404
   */
  async listen(port: number, host: string) {
    const server = createServer((_req, res) => res.writeHead(404).end())
    this.attach(server)
    this.#own = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => resolve())
    })
    return server
  }

  /**
   * Gives the server its listeners back; a server of its own is closed by
   * closeOwn()
   */
  detach() {
    this.#detach?.()
  }

  async closeOwn() {
    const own = this.#own
    this.#own = undefined
    if (!own) return
    own.closeAllConnections()
    await new Promise((resolve) => own.close(resolve))
  }
}
