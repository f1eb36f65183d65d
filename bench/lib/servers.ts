/**
 * The servers the fan-out and connection benchmarks compare, each started
 * on a port of its own with one way to publish an event to the "bench"
 * channel (or room):
 *
 * - ours: a BroadcastManager whose default connection is the "local"
 *   driver, in this process; events go through "broadcast.emit", as in an app
 * - ours-http: the same server in a process of its own, events sent to its
 *   Pusher HTTP API (ours_process.ts), as a backend sends them to soketi
 * - soketi: soketi 1.6 in a child process on Node 20, events sent to its
 *   Pusher HTTP API the same way (soketi.ts)
 * - ws: a minimal Pusher-protocol server on "ws" that serializes each event
 *   once and sends that one Buffer to every socket (the practical limit)
 * - socketio: socket.io 4, "io.to(room).emit"
 * - transmit: the Transmit class @adonisjs/transmit 3 wraps
 *   (@boringnode/transmit), "transmit.broadcast" to SSE streams
 */
import { createServer, type Server as HttpServer } from 'node:http'
import { WebSocketServer, type WebSocket } from 'ws'
import { defineConfig } from '../../src/define_config.ts'
import { drivers } from '../../src/connections.ts'
import { createManager } from '../../tests/helpers/broadcast.ts'
import { createMetrics } from '../../src/metrics/create_metrics.ts'
import type { Broadcastable } from '../../src/emitting/broadcast_event.ts'
import { APP, CHANNEL, EVENT, payloadFor, type BenchServer, type ServerKind } from './bench_app.ts'
import { startOursHttp } from './ours_process.ts'
import { startSoketi } from './soketi.ts'

class BenchEvent implements Broadcastable {
  constructor(
    protected id: number,
    protected t: number
  ) {}
  broadcastOn() {
    return CHANNEL
  }
  broadcastAs() {
    return EVENT
  }
  broadcastWith() {
    return payloadFor(this.id, this.t)
  }
}

const silentLogger = new Proxy({}, { get: () => () => {} }) as any

async function listen(server: HttpServer, port: number) {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', 511, resolve))
}

async function closeHttp(server: HttpServer) {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
}

/**
 * The package as an app uses it, built without an app's container: no
 * policies are loaded (a public channel needs none).
 */
export async function startOurs(
  port: number,
  direct = false,
  withMetrics = false,
  coalesceMs = 0
): Promise<BenchServer> {
  // Metrics on as an app has them: prom-client loaded, a registry to scrape
  const metrics = withMetrics
    ? await createMetrics({
        enabled: true,
        prefix: 'broadcast_',
        path: '/metrics',
        shouldExpose: () => true,
      })
    : undefined
  const manager = await createManager(
    defineConfig({
      default: 'local',
      connections: {
        local: drivers.local({ ...APP, limits: { maxConnections: 50_000, coalesceMs } }),
      },
    }),
    silentLogger,
    undefined,
    { metrics }
  )
  const driver = manager.driver()
  await driver.listen(port, '127.0.0.1')
  return {
    kind: direct
      ? 'ours-direct'
      : withMetrics
        ? 'ours-metrics'
        : coalesceMs
          ? (`ours-coalesce${coalesceMs}` as ServerKind)
          : 'ours',
    port,
    publish: direct
      ? (id, t) => driver.server.publish([CHANNEL], EVENT, JSON.stringify(payloadFor(id, t)))
      : (id, t) => manager.emit(new BenchEvent(id, t)),
    close: () => manager.close(),
  }
}

/**
 * The baseline: enough of the Pusher protocol for the load generator
 * (handshake, subscribe, ping) and a channel map; each event is encoded
 * once, as the same bytes our server sends, and that Buffer goes to every
 * socket
 */
export async function startRawWs(port: number): Promise<BenchServer> {
  const http = createServer()
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false, clientTracking: false })
  const channels = new Map<string, Set<WebSocket>>()
  let nextId = 1
  wss.on('connection', (ws) => {
    const joined: string[] = []
    ws.send(
      JSON.stringify({
        event: 'pusher:connection_established',
        data: JSON.stringify({ socket_id: `${nextId++}.1`, activity_timeout: 120 }),
      })
    )
    ws.on('message', (raw) => {
      const frame = JSON.parse(String(raw))
      if (frame.event === 'pusher:subscribe') {
        const name = frame.data.channel as string
        let set = channels.get(name)
        if (!set) channels.set(name, (set = new Set()))
        set.add(ws)
        joined.push(name)
        ws.send(
          JSON.stringify({
            event: 'pusher_internal:subscription_succeeded',
            channel: name,
            data: '{}',
          })
        )
      } else if (frame.event === 'pusher:ping') {
        ws.send('{"event":"pusher:pong","data":"{}"}')
      }
    })
    ws.on('error', () => {})
    ws.on('close', () => {
      for (const name of joined) channels.get(name)?.delete(ws)
    })
  })
  await listen(http, port)
  return {
    kind: 'ws',
    port,
    publish(id, t) {
      const sockets = channels.get(CHANNEL)
      if (!sockets) return
      const frame = Buffer.from(
        JSON.stringify({ event: EVENT, channel: CHANNEL, data: JSON.stringify(payloadFor(id, t)) })
      )
      for (const ws of sockets) ws.send(frame, { binary: false })
    },
    async close() {
      wss.close()
      await closeHttp(http)
    },
  }
}

/**
 * socket.io 4 on the WebSocket transport only (what a production setup
 * would choose); each socket joins the room given in its handshake query
 */
export async function startSocketIo(port: number): Promise<BenchServer> {
  const { Server } = await import('socket.io')
  const http = createServer()
  const io = new Server(http, { transports: ['websocket'], serveClient: false })
  io.on('connection', (socket) => {
    void socket.join(String(socket.handshake.query.room ?? CHANNEL))
  })
  await listen(http, port)
  return {
    kind: 'socketio',
    port,
    publish(id, t) {
      io.to(CHANNEL).emit(EVENT, payloadFor(id, t))
    },
    async close() {
      io.close()
      await closeHttp(http).catch(() => {})
    },
  }
}

/**
 * Transmit on a plain Node server. The adapter in @adonisjs/transmit only
 * adds AdonisJS routes around the same "createStream" and "subscribe";
 * "broadcast" is the class's own. GET /events?uid=..&channel=.. opens the
 * stream and subscribes it at once (Transmit's POST /subscribe in one step).
 */
export async function startTransmit(port: number): Promise<BenchServer> {
  const { Transmit } = await import('@boringnode/transmit')
  const transmit = new Transmit({ pingInterval: false } as any)
  const http = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const uid = url.searchParams.get('uid')
    if (url.pathname !== '/events' || !uid) return res.writeHead(404).end()
    transmit.createStream({ uid, request: req, response: res, context: {} as any })
    void transmit.subscribe({
      uid,
      channel: url.searchParams.get('channel') ?? CHANNEL,
      skipAuthorization: true,
      context: {} as any,
    })
  })
  await listen(http, port)
  return {
    kind: 'transmit',
    port,
    publish(id, t) {
      transmit.broadcast(CHANNEL, payloadFor(id, t))
    },
    async close() {
      await transmit.shutdown()
      await closeHttp(http)
    },
  }
}

export async function startServer(kind: ServerKind, port: number): Promise<BenchServer> {
  switch (kind) {
    case 'ours-http':
      return startOursHttp(port)
    case 'ours-http-coalesce1':
      return startOursHttp(port, 'ours-coalesce1', 'ours-http-coalesce1')
    case 'soketi':
      return startSoketi(port)
    case 'ours':
      return startOurs(port)
    case 'ours-direct':
      return startOurs(port, true)
    case 'ours-metrics':
      return startOurs(port, false, true)
    case 'ours-coalesce1':
      return startOurs(port, false, false, 1)
    case 'ours-coalesce5':
      return startOurs(port, false, false, 5)
    case 'ws':
      return startRawWs(port)
    case 'socketio':
      return startSocketIo(port)
    case 'transmit':
      return startTransmit(port)
  }
}
