/**
 * Limits over Redis: what counting "clientEventsPerUserPerSecond" and
 * "maxConnectionsPerIp" across the nodes costs (issue 22). Two nodes over a redis-server of
 * their own; a presence member sends client events on node A, one
 * listener sits on node A and one on node B. Each setup runs with the
 * cluster count on (the per-user limit set so high that nothing is
 * refused: one Redis script per event) and off (the limit 0: no call),
 * in interleaved rounds. Server and clients share this process.
 *
 * 1. Latency: one event in flight, from send to receipt on the same node
 *    and on the other, p50/p99.
 * 2. Throughput: a burst of events, at most 100 in flight; events per
 *    second received on node B, CPU of this process and redis-server
 *    commands and CPU per event.
 * 3. Connections: sockets opened one after another on node B, with the
 *    count per client address on ("maxConnectionsPerIp", one Redis script
 *    before a socket is served) and off.
 *
 * npm run bench:client-events [-- --quick]   (writes bench/results/client_events.json)
 */
import { readFileSync } from 'node:fs'
import { Redis } from 'ioredis'
import { WebSocket } from 'ws'
import Pusher from 'pusher'
import { EmbeddedServer, createRedisAdapter } from '@adonisjs-broadcasting/engine'
import { startRedisServer } from '../tests/helpers/redis_server.ts'
import {
  fmt,
  now,
  percentile,
  quick,
  summary,
  waitForQuietMachine,
  writeResult,
} from './lib/common.ts'

const APP = { appId: 'ce', key: 'ce-key', secret: 'ce-secret' }
const CHANNEL = 'presence-bench'
const LATENCY_EVENTS = quick ? 300 : 2000
const BURST_EVENTS = quick ? 5000 : 20_000
const WINDOW = 100
const CONNECTS = quick ? 200 : 1000
const ROUNDS = quick ? 1 : 2
const TICK_US = 10_000

await waitForQuietMachine()
const redis = await startRedisServer()
const connection = new Redis(redis.url, { lazyConnect: true })
const signer = new Pusher({ ...APP, cluster: 'mt1' })
let prefixes = 0

function redisCpuUs() {
  const stat = readFileSync(`/proc/${redis.pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * TICK_US
}

async function redisCommands() {
  const info = await connection.info('stats')
  return Number(/total_commands_processed:(\d+)/.exec(info)![1])
}

interface Client {
  ws: WebSocket
  onEvent?: (data: any) => void
}

/**
 * A presence member on the node: resolves once subscribed
 */
function member(port: number, userId: string) {
  return new Promise<Client>((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/app/${APP.key}`)
    const client: Client = { ws }
    ws.on('error', reject)
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString())
      if (frame.event === 'pusher:connection_established') {
        const { socket_id: socketId } = JSON.parse(frame.data)
        const auth = signer.authorizeChannel(socketId, CHANNEL, { user_id: userId })
        ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: CHANNEL, ...auth } }))
      } else if (frame.event === 'pusher_internal:subscription_succeeded') {
        resolve(client)
      } else if (frame.event === 'client-bench') {
        client.onEvent?.(JSON.parse(frame.data))
      } else if (frame.event === 'pusher:error' || frame.event === 'pusher:subscription_error') {
        reject(new Error(frame.data))
      }
    })
  })
}

async function startSetup(counted: boolean) {
  const prefix = `bench-${++prefixes}:`
  const limits = {
    clientEventsPerSecond: 1e9,
    clientEventsPerUserPerSecond: counted ? 1e9 : 0,
    maxConnectionsPerIp: counted ? 1e9 : 0,
  }
  const nodes = await Promise.all(
    [0, 1].map(async () => {
      const server = new EmbeddedServer({
        ...APP,
        limits,
        clientEventsAllowed: () => true,
        cluster: Object.assign(
          (nodeId: string) => createRedisAdapter(connection, { nodeId, prefix }),
          { shared: true }
        ),
      })
      const { port } = await server.listen(0, '127.0.0.1')
      return { server, port }
    })
  )
  const sender = await member(nodes[0].port, 'sender')
  const local = await member(nodes[0].port, 'local')
  const remote = await member(nodes[1].port, 'remote')
  return {
    port: nodes[1].port,
    sender,
    local,
    remote,
    async close() {
      for (const client of [sender, local, remote]) client.ws.terminate()
      await Promise.all(nodes.map((node) => node.server.close()))
    },
  }
}

type Setup = Awaited<ReturnType<typeof startSetup>>

function send(setup: Setup, data: object) {
  setup.sender.ws.send(JSON.stringify({ event: 'client-bench', channel: CHANNEL, data }))
}

/**
 * One event in flight: latency to the listener on the same node and on
 * the other (the listeners wait before the event goes)
 */
async function latencyRun(setup: Setup) {
  const same: number[] = []
  const other: number[] = []
  const warmUp = Math.round(LATENCY_EVENTS / 10)
  for (let i = 0; i < LATENCY_EVENTS + warmUp; i++) {
    let sent = 0
    const arrivals = [setup.local, setup.remote].map(
      (listener, index) =>
        new Promise<void>((resolve) => {
          listener.onEvent = () => {
            if (i >= warmUp) (index === 0 ? same : other).push(now() - sent)
            listener.onEvent = undefined
            resolve()
          }
        })
    )
    sent = now()
    send(setup, { i })
    await Promise.all(arrivals)
  }
  return { same: same.sort((a, b) => a - b), other: other.sort((a, b) => a - b) }
}

/**
 * A burst, at most WINDOW events not yet received on node B
 */
async function burst(setup: Setup) {
  let received = 0
  let sent = 0
  const commands = await redisCommands()
  const cpu = redisCpuUs()
  const ownCpu = process.cpuUsage()
  const started = now()
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (sent < BURST_EVENTS && sent - received < WINDOW) send(setup, { i: sent++ })
    }
    setup.remote.onEvent = () => {
      received++
      if (received === BURST_EVENTS) resolve()
      else pump()
    }
    pump()
  })
  const seconds = (now() - started) / 1000
  const used = process.cpuUsage(ownCpu)
  setup.remote.onEvent = undefined
  return {
    perSecond: BURST_EVENTS / seconds,
    cpuUsPerEvent: (used.user + used.system) / BURST_EVENTS,
    redisCommandsPerEvent: ((await redisCommands()) - commands - 1) / BURST_EVENTS,
    redisCpuUsPerEvent: (redisCpuUs() - cpu) / BURST_EVENTS,
  }
}

/**
 * Sockets opened one after another on node B: from the upgrade request to
 * "pusher:connection_established" (the per-address count is asked first)
 */
async function connects(setup: Setup) {
  const times: number[] = []
  for (let i = 0; i < CONNECTS; i++) {
    const started = now()
    const ws = new WebSocket(`ws://127.0.0.1:${setup.port}/app/${APP.key}`)
    await new Promise<void>((resolve, reject) => {
      ws.once('message', () => resolve())
      ws.once('error', reject)
    })
    times.push(now() - started)
    ws.terminate()
  }
  return times.sort((a, b) => a - b)
}

const results: Record<'on' | 'off', any[]> = { on: [], off: [] }
for (let round = 0; round < ROUNDS; round++) {
  for (const mode of ['off', 'on'] as const) {
    const running = await startSetup(mode === 'on')
    const { same, other } = await latencyRun(running)
    const throughput = await burst(running)
    const connected = await connects(running)
    await running.close()
    const result = {
      connectP50: percentile(connected, 50),
      connectP99: percentile(connected, 99),
      sameP50: percentile(same, 50),
      sameP99: percentile(same, 99),
      otherP50: percentile(other, 50),
      otherP99: percentile(other, 99),
      ...throughput,
    }
    results[mode].push(result)
    console.log(
      `# round ${round + 1}, cluster count ${mode}: same node p50 ${fmt(result.sameP50)} ms, p99 ${fmt(result.sameP99)} ms; ` +
        `other node p50 ${fmt(result.otherP50)} ms, p99 ${fmt(result.otherP99)} ms; ` +
        `connect p50 ${fmt(result.connectP50)} ms, p99 ${fmt(result.connectP99)} ms; ` +
        `${fmt(result.perSecond)} events/s, ${fmt(result.cpuUsPerEvent)} µs CPU of this process (nodes and clients), ${fmt(result.redisCommandsPerEvent)} Redis commands and ${fmt(result.redisCpuUsPerEvent)} µs redis-server CPU per event`
    )
  }
}

const best = (mode: 'on' | 'off', key: string, pick = Math.min) =>
  pick(...results[mode].map((result) => result[key]))
const lines = [
  summary(
    'connect p50',
    'p50 time to connection_established',
    best('on', 'connectP50'),
    'count off',
    best('off', 'connectP50'),
    'ms',
    'count on'
  ),
  summary(
    'client events p50 same node',
    'p50 latency',
    best('on', 'sameP50'),
    'count off',
    best('off', 'sameP50'),
    'ms',
    'count on'
  ),
  summary(
    'client events p50 other node',
    'p50 latency',
    best('on', 'otherP50'),
    'count off',
    best('off', 'otherP50'),
    'ms',
    'count on'
  ),
  summary(
    'client events p99 other node',
    'p99 latency',
    best('on', 'otherP99'),
    'count off',
    best('off', 'otherP99'),
    'ms',
    'count on'
  ),
  summary(
    'client events throughput',
    'events/s',
    best('on', 'perSecond', Math.max),
    'count off',
    best('off', 'perSecond', Math.max),
    '',
    'count on'
  ),
  summary(
    'client events CPU',
    'CPU per event of this process (both nodes and the clients)',
    best('on', 'cpuUsPerEvent'),
    'count off',
    best('off', 'cpuUsPerEvent'),
    'µs',
    'count on'
  ),
]
await writeResult('client_events', { results, lines })
connection.disconnect()
await redis.stop()
