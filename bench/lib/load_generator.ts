/**
 * The load generator, a child process of fanout.ts and connections.ts. It
 * opens N subscribed connections over loopback, speaking each server's
 * protocol with the bare minimum of client code (a raw "ws" client for the
 * Pusher protocol and for socket.io's engine.io framing, "http.get" for
 * SSE), so client-side cost is alike for every server. For each message it
 * reads the "~id:t~" marker, counts it, and records the latency from the
 * emit time t. When every socket has an event, it acks that event to the
 * parent, which paces emits on those acks.
 *
 * IPC: <- {type:'connect', kind, port, ports?, n, rooms?, groups?, events, warm}
 *      -> {type:'ready', connected, ms}
 *      -> {type:'ack', id}               (fan-out only)
 *      <- {type:'report'} -> {type:'report', ...}
 *      <- {type:'close'}
 */
import { request } from 'node:http'
import { WebSocket } from 'ws'
import { APP, CHANNEL } from './bench_app.ts'

type Kind = 'pusher' | 'socketio' | 'sse'
interface ConnectMessage {
  kind: Kind
  port: number
  n: number
  /** Spread sockets over this many channels ("room-<i % rooms>") instead of "bench" */
  rooms?: number
  /** Connect socket i to ports[i % ports.length] instead of "port" (several nodes) */
  ports?: number[]
  /** Report latencies per group of events (event id % groups) too */
  groups?: number
  events: number
  warm: number
}

const now = () => performance.timeOrigin + performance.now()
const send = (message: unknown) => process.send!(message)

let offset = 0
let config: ConnectMessage
let counts: Uint32Array
let latencies: Float64Array
let recorded = 0
let groupLatencies: Float64Array[] = []
let groupRecorded: number[] = []
let delivered = 0
const closers: Array<() => void> = []

/** Estimates parent clock - our clock from the shortest of 30 IPC round trips */
async function syncClock() {
  let best = Infinity
  for (let i = 0; i < 30; i++) {
    const reply = await new Promise<{ t0: number; tp: number }>((resolve) => {
      const onMessage = (message: any) => {
        if (message?.type !== 'clock') return
        process.off('message', onMessage)
        resolve(message)
      }
      process.on('message', onMessage)
      send({ type: 'clock', t0: now() })
    })
    const t1 = now()
    if (t1 - reply.t0 < best) {
      best = t1 - reply.t0
      offset = reply.tp - (reply.t0 + t1) / 2
    }
  }
}

/** Reads every "~id:t~" marker of a chunk; returns where an unfinished one starts */
function scan(buf: Buffer): number {
  const received = now() + offset
  let start = buf.indexOf(126, 0)
  while (start !== -1) {
    const end = buf.indexOf(126, start + 1)
    if (end === -1) return start
    const colon = buf.indexOf(58, start + 1)
    const id = Number(buf.toString('latin1', start + 1, colon))
    const t = Number(buf.toString('latin1', colon + 1, end))
    delivered++
    if (id >= config.warm) {
      latencies[recorded++] = received - t
      if (config.groups) {
        const group = id % config.groups
        groupLatencies[group][groupRecorded[group]++] = received - t
      }
    }
    if (++counts[id] === config.n) send({ type: 'ack', id })
    start = buf.indexOf(126, end + 1)
  }
  return -1
}

function roomOf(i: number) {
  return config.rooms ? `room-${i % config.rooms}` : CHANNEL
}

function portOf(i: number) {
  return config.ports ? config.ports[i % config.ports.length] : config.port
}

function connectPusher(i: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(
      `ws://127.0.0.1:${portOf(i)}/app/${APP.key}?protocol=7&client=js&version=8.4.0`,
      { perMessageDeflate: false }
    )
    let subscribed = false
    ws.on('message', (data: Buffer) => {
      if (subscribed && data.indexOf(126) !== -1) return void scan(data)
      const text = data.toString()
      if (text.includes('pusher:connection_established')) {
        ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: roomOf(i) } }))
      } else if (text.includes('pusher_internal:subscription_succeeded')) {
        subscribed = true
        resolve()
      } else if (text.includes('"pusher:ping"')) {
        ws.send('{"event":"pusher:pong","data":{}}')
      } else if (text.includes('pusher:error')) {
        reject(new Error(text))
      }
    })
    ws.once('error', reject)
    closers.push(() => ws.terminate())
  })
}

/** engine.io v4 over a WebSocket: "0" open, "40" connect, "2" ping, "42[...]" event */
function connectSocketIo(i: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(
      `ws://127.0.0.1:${config.port}/socket.io/?EIO=4&transport=websocket&room=${roomOf(i)}`,
      { perMessageDeflate: false }
    )
    ws.on('message', (data: Buffer) => {
      const type = data[0]
      if (type === 52 /* 4 */ && data[1] === 50 /* 2 */) return void scan(data)
      if (type === 48 /* 0 */) ws.send('40')
      else if (type === 52 && data[1] === 48) resolve()
      else if (type === 50 /* 2 */) ws.send('3')
    })
    ws.once('error', reject)
    closers.push(() => ws.terminate())
  })
}

/** SSE: a plain HTTP GET read chunk by chunk */
function connectSse(i: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: config.port,
        path: `/events?uid=u${i}&channel=${roomOf(i)}`,
        agent: false,
      },
      (res) => {
        let carry: Buffer | null = null
        let ready = false
        res.on('data', (chunk: Buffer) => {
          if (!ready) {
            ready = true
            resolve()
          }
          const buf: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk
          const rest = scan(buf)
          carry = rest === -1 ? null : Buffer.from(buf.subarray(rest))
        })
        res.on('error', () => {})
      }
    )
    req.once('error', reject)
    req.end()
    closers.push(() => req.destroy())
  })
}

async function connectAll() {
  const open = { pusher: connectPusher, socketio: connectSocketIo, sse: connectSse }[config.kind]
  let next = 0
  const started = Date.now()
  // 100 handshakes at a time keeps the listen backlog from overflowing
  await Promise.all(
    Array.from({ length: 100 }, async () => {
      while (next < config.n) await open(next++)
    })
  )
  return Date.now() - started
}

process.on('message', async (message: any) => {
  if (message?.type === 'connect') {
    config = message
    counts = new Uint32Array(config.events)
    const measured = Math.max(0, config.events - config.warm)
    latencies = new Float64Array(config.n * measured)
    const perGroup = config.n * Math.ceil(measured / (config.groups || 1))
    groupLatencies = Array.from({ length: config.groups ?? 0 }, () => new Float64Array(perGroup))
    groupRecorded = groupLatencies.map(() => 0)
    const ms = await connectAll()
    send({ type: 'ready', connected: config.n, ms })
  } else if (message?.type === 'report') {
    const stats = (sample: Float64Array) => {
      sample.sort()
      const at = (p: number) =>
        sample[Math.min(sample.length - 1, Math.floor((p / 100) * sample.length))]
      return { p50: at(50), p99: at(99), max: sample[sample.length - 1] }
    }
    send({
      type: 'report',
      delivered,
      recorded,
      expected: config.n * config.events,
      ...stats(latencies.subarray(0, recorded)),
      groups: groupLatencies.map((group, i) => ({
        recorded: groupRecorded[i],
        ...stats(group.subarray(0, groupRecorded[i])),
      })),
      offset,
    })
  } else if (message?.type === 'close') {
    for (const close of closers) close()
    process.disconnect()
    setTimeout(() => process.exit(0), 200).unref()
  }
})

await syncClock()
send({ type: 'hello' })
