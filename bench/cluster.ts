/**
 * Cluster: what scaling out over Redis costs. A redis-server of its own on
 * a free port; the nodes (EmbeddedServer) run in this process, the
 * subscribers in the load-generator child process (bench/lib/load_generator.ts).
 *
 * 0. Routing: --nodes=N nodes (default 4) over Redis, 4,000 channels, each
 *    node holding a 1/N share of them (one socket subscribed to its
 *    channels); events on every channel, published from every node. What
 *    each node reads off the bus with interest routing, against what it
 *    would read with broadcast-to-all: a plain Redis client subscribed to
 *    every channel's bus channel receives exactly what every node received
 *    when all nodes got every event. Also the subscribe commands the
 *    channels took, and those of a reload of every socket (the linger).
 * 1. Redis hop: 1,000 subscribers on node B; events published alternately
 *    on node A (cross-node, through Redis) and on node B (same node), one
 *    in flight at a time. p50/p99 from publish to receipt, cross-node as a
 *    ratio to same-node, both from the same run; on one Redis, then on a
 *    local 3-master Redis Cluster.
 * 2. Server CPU per delivered message: the same fan-out load (1,000
 *    subscribers, a fixed event rate) on one node (the default in-memory
 *    cluster) and on two nodes over Redis (subscribers half/half, events
 *    published alternately on each node). CPU of this process (both nodes;
 *    the clients are in the child) per delivered message, two nodes as a
 *    ratio to one; also with redis-server's CPU added. A fixed rate, not
 *    "as fast as delivery allows": two nodes sharing this process's event
 *    loop wait on each other's Redis round trips, so they would run at a
 *    lower rate, and a lower rate batches fewer frames per write.
 *
 * npm run bench:cluster [-- --quick] [-- --nodes=4]   (writes bench/results/cluster.json)
 */
import { readFileSync } from 'node:fs'
import type { ChildProcess } from 'node:child_process'
import { Cluster, Redis } from 'ioredis'
import { WebSocket } from 'ws'
import { EmbeddedServer, createRedisAdapter } from '@adonisjs-broadcasting/engine'
import type { RedisBus } from '../packages/engine/src/bus/redis_bus.ts'
import { startRedisServer } from '../tests/helpers/redis_server.ts'
import { startRedisCluster } from '../tests/helpers/redis_cluster.ts'
import {
  fmt,
  nextMessage,
  now,
  quick,
  serveClock,
  spawnTs,
  stopChild,
  summary,
  waitForQuietMachine,
  writeResult,
  type Basis,
} from './lib/common.ts'
import { APP, CHANNEL, EVENT, payloadFor } from './lib/bench_app.ts'
import { pumpEvents } from './lib/pump_events.ts'

const N = 1000
/** Nodes of the routing phase */
const NODES = Number(process.argv.find((arg) => arg.startsWith('--nodes='))?.slice(8) ?? 4)
const ROUTED_CHANNELS = 4000
const ROUTED_EVENTS = quick ? 8000 : 40_000
/** Measured events per phase; 10% more are sent first as warm-up */
const LATENCY_EVENTS = quick ? 200 : 1000
const CPU_EVENTS = quick ? 100 : 500
/**
 * The CPU phase runs both setups at the same load: 40 events/s (40,000
 * messages/s, about half of what one node delivers here), at most 4 in flight
 */
const CPU_PACE = { window: 4, rate: 40 }
/** Interleaved rounds of the CPU phase; the lowest CPU per message of each setup counts */
const ROUNDS = quick ? 1 : 2
/** /proc/<pid>/stat counts CPU time in clock ticks (USER_HZ, 100 on Linux) */
const TICK_US = 10_000

const redis = await startRedisServer()
const connection = new Redis(redis.url, { lazyConnect: true })
let prefixes = 0

/** redis-server's user + system CPU time so far, in µs */
function redisCpuUs() {
  const stat = readFileSync(`/proc/${redis.pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * TICK_US
}

/** A node on a port of its own: over Redis, or alone with the default in-memory cluster */
async function startNode(prefix?: string, via: Redis | Cluster = connection) {
  const server = new EmbeddedServer({
    ...APP,
    limits: { maxConnections: 50_000 },
    cluster: prefix ? (nodeId) => createRedisAdapter(via, { nodeId, prefix }) : undefined,
  })
  const { port } = await server.listen(0, '127.0.0.1')
  return { server, port }
}
type Node = Awaited<ReturnType<typeof startNode>>

/**
 * Connects N subscribers to the nodes (socket i to ports[i % ports.length]),
 * publishes warm-up + measured events with at most "window" in flight and,
 * given a rate, no faster than "rate" events per second (event i on
 * publisherOf(i)), and returns the load generator's report with
 * the time and CPU of the measured part
 */
async function drive(
  ports: number[],
  events: number,
  pace: { window: number; rate?: number },
  publisherOf: (id: number) => Node,
  groups?: number
) {
  const warm = Math.max(10, Math.round(events / 10))
  const total = warm + events
  const child: ChildProcess = spawnTs('bench/lib/load_generator.ts')
  serveClock(child)
  try {
    await nextMessage(child, 'hello')
    child.send({
      type: 'connect',
      kind: 'pusher',
      port: ports[0],
      ports,
      n: N,
      groups,
      events: total,
      warm,
    })
    const ready = await nextMessage(child, 'ready', 300_000)

    let started = 0
    let cpu = process.cpuUsage()
    let redisCpu = redisCpuUs()
    await pumpEvents({
      child,
      warm,
      total,
      pace,
      publish: (id, t) =>
        publisherOf(id).server.publish([CHANNEL], EVENT, JSON.stringify(payloadFor(id, t))),
      onMeasureStart: () => {
        started = now()
        cpu = process.cpuUsage()
        redisCpu = redisCpuUs()
      },
    })
    const elapsed = now() - started
    const used = process.cpuUsage(cpu)
    const redisUsed = redisCpuUs() - redisCpu
    child.send({ type: 'report' })
    const report = await nextMessage(child, 'report')
    const messages = N * events
    return {
      report,
      connectMs: ready.ms as number,
      msgsPerSec: messages / (elapsed / 1000),
      /** CPU of this process (the nodes) per delivered message, µs */
      nodesCpuUsPerMsg: (used.user + used.system) / messages,
      /** redis-server's CPU per delivered message, µs (10 ms ticks: coarse) */
      redisCpuUsPerMsg: redisUsed / messages,
    }
  } finally {
    await stopChild(child)
  }
}

/** A WebSocket client of a node, subscribed to "channels"; counts the events it gets */
async function subscriber(port: number, channels: string[]) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/app/${APP.key}?protocol=7`)
  let events = 0
  let subscribed = 0
  let wake = () => {}
  ws.on('message', (raw) => {
    const text = raw.toString()
    if (text.includes('"routed"')) events++
    else if (text.includes('subscription_succeeded')) subscribed++
    else if (text.includes('connection_established')) {
      for (const channel of channels) {
        ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel } }))
      }
    }
    wake()
  })
  const until = async (done: () => boolean, what: string) => {
    const deadline = Date.now() + 60_000
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise<void>((resolve) => {
        wake = resolve
        setTimeout(resolve, 50)
      })
    }
  }
  await until(() => subscribed === channels.length, 'the subscriptions')
  return {
    get events() {
      return events
    },
    until,
    close: () =>
      new Promise<void>((resolve) => {
        ws.once('close', () => resolve())
        ws.close()
      }),
  }
}

/** Phase 0: what each node reads off the bus, interest routing against broadcast-to-all */
async function routingPhase() {
  const prefix = `bench-${prefixes++}:`
  const buses: RedisBus[] = []
  const nodes: EmbeddedServer[] = []
  const ports: number[] = []
  for (let index = 0; index < NODES; index++) {
    const server = new EmbeddedServer({
      ...APP,
      limits: { maxChannelsPerSocket: ROUTED_CHANNELS, subscriptionsPerSecond: 0 },
      cluster: (nodeId) => {
        const adapter = createRedisAdapter(connection, { nodeId, prefix })
        buses.push(adapter.bus)
        return adapter
      },
    })
    ports.push((await server.listen(0, '127.0.0.1')).port)
    nodes.push(server)
  }
  const channel = (index: number) => `routed-${index}`
  const channelsOf = (node: number) =>
    Array.from({ length: ROUTED_CHANNELS }, (_, index) => index)
      .filter((index) => index % NODES === node)
      .map(channel)
  const everything = new Redis(redis.url)
  try {
    const clients = []
    for (let node = 0; node < NODES; node++) {
      clients.push(await subscriber(ports[node], channelsOf(node)))
    }
    // The buses are new: every command so far subscribed these channels
    const subscribeCommands = buses.map((bus) => bus.interest.commands.subscribe)

    const received = nodes.map(() => ({ messages: 0, bytes: 0 }))
    nodes.forEach((server, index) =>
      server.events.on('busReceived', (bytes) => {
        received[index].messages++
        received[index].bytes += bytes
      })
    )
    // Broadcast-to-all: every node read every event
    const all = { messages: 0, bytes: 0 }
    const keys = Array.from({ length: ROUTED_CHANNELS }, (_, index) => buses[0].key(channel(index)))
    for (let start = 0; start < keys.length; start += 1000) {
      await everything.ssubscribe(...keys.slice(start, start + 1000))
    }
    everything.on('smessageBuffer', (_key: Buffer, message: Buffer) => {
      all.messages++
      all.bytes += message.length
    })

    const payload = JSON.stringify(payloadFor(0, now()))
    const window = 64
    for (let start = 0; start < ROUTED_EVENTS; start += window) {
      const sent = []
      for (let id = start; id < Math.min(ROUTED_EVENTS, start + window); id++) {
        // Event "id" on channel id % 4000, from the node after its holder
        const on = id % ROUTED_CHANNELS
        sent.push(nodes[(on + 1) % NODES].publish([channel(on)], 'routed', payload))
      }
      await Promise.all(sent)
    }
    const expected = (node: number) =>
      Array.from({ length: ROUTED_EVENTS }, (_, id) => id % ROUTED_CHANNELS).filter(
        (on) => on % NODES === node
      ).length
    for (let node = 0; node < NODES; node++) {
      const client = clients[node]
      await client.until(() => client.events === expected(node), `node ${node + 1}'s events`)
    }
    const settle = Date.now() + 10_000
    while (
      (all.messages < ROUTED_EVENTS ||
        received.reduce((sum, node) => sum + node.messages, 0) < ROUTED_EVENTS) &&
      Date.now() < settle
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }

    // A reload of every page: each socket leaves and a new one takes its channels
    const before = buses.map((bus) => ({ ...bus.interest.commands }))
    for (let node = 0; node < NODES; node++) {
      await clients[node].close()
      clients[node] = await subscriber(ports[node], channelsOf(node))
    }
    const reload = buses.map((bus, index) => ({
      subscribe: bus.interest.commands.subscribe - before[index].subscribe,
      unsubscribe: bus.interest.commands.unsubscribe - before[index].unsubscribe,
    }))
    await Promise.all(clients.map((client) => client.close()))

    const kb = (bytes: number) => `${fmt(bytes / 1024, 0)} KB`
    received.forEach((node, index) =>
      console.log(
        `# node ${index + 1} of ${NODES}: ${fmt(node.messages)} messages, ${kb(node.bytes)} read off the bus (${fmt(ROUTED_CHANNELS / NODES)} of ${fmt(ROUTED_CHANNELS)} channels); broadcast-to-all: ${fmt(all.messages)} messages, ${kb(all.bytes)}`
      )
    )
    const initial = subscribeCommands.reduce((sum, count) => sum + count, 0)
    console.log(
      `# subscribing ${fmt(ROUTED_CHANNELS)} channels took ${initial} SSUBSCRIBE commands in all; a reload of every socket: ${reload.reduce((sum, r) => sum + r.subscribe, 0)} SSUBSCRIBE, ${reload.reduce((sum, r) => sum + r.unsubscribe, 0)} SUNSUBSCRIBE (linger ${buses[0].interest.linger / 1000} s)`
    )
    return {
      nodes: NODES,
      channels: ROUTED_CHANNELS,
      events: ROUTED_EVENTS,
      received,
      all,
      subscribeCommands,
      reload,
    }
  } finally {
    everything.disconnect()
    await Promise.all(nodes.map((server) => server.close()))
  }
}

/** Phase 1: subscribers on B; even events published on A (cross-node), odd on B */
async function redisHop(via: Redis | Cluster = connection, label = 'one Redis') {
  const prefix = `bench-${prefixes++}:`
  const a = await startNode(prefix, via)
  const b = await startNode(prefix, via)
  try {
    const run = await drive(
      [b.port],
      LATENCY_EVENTS,
      { window: 1 },
      (id) => (id % 2 === 0 ? a : b),
      2
    )
    const [cross, same] = run.report.groups as Array<{ p50: number; p99: number; max: number }>
    console.log(
      `# ${label}: cross-node (published on A): p50 ${cross.p50.toFixed(2)} ms, p99 ${cross.p99.toFixed(2)} ms; same-node (published on B): p50 ${same.p50.toFixed(2)} ms, p99 ${same.p99.toFixed(2)} ms (${run.report.delivered}/${run.report.expected} delivered, connect ${run.connectMs} ms)`
    )
    return { cross, same, delivered: run.report.delivered, expected: run.report.expected }
  } finally {
    await Promise.all([a.server.close(), b.server.close()])
  }
}

/** Runs "work" with a connection to a local 3-master Redis Cluster of its own */
async function onRedisCluster<T>(work: (cluster: Cluster) => Promise<T>): Promise<T> {
  const redisCluster = await startRedisCluster()
  const cluster = new Cluster(redisCluster.nodes, { lazyConnect: true })
  try {
    return await work(cluster)
  } finally {
    cluster.disconnect()
    await redisCluster.stop()
  }
}

type Setup = 'one' | 'two'
const LABEL: Record<Setup, string> = {
  one: 'one node (in-memory cluster)',
  two: 'two nodes over Redis',
}

/** Phase 2: the same fan-out load on one node, or split over two */
async function cpuCost(setup: Setup) {
  const prefix = `bench-${prefixes++}:`
  const nodes =
    setup === 'one' ? [await startNode()] : [await startNode(prefix), await startNode(prefix)]
  try {
    const run = await drive(
      nodes.map((node) => node.port),
      CPU_EVENTS,
      CPU_PACE,
      (id) => nodes[id % nodes.length]
    )
    const result = {
      setup,
      msgsPerSec: run.msgsPerSec,
      nodesCpuUsPerMsg: run.nodesCpuUsPerMsg,
      redisCpuUsPerMsg: run.redisCpuUsPerMsg,
      p50: run.report.p50 as number,
      p99: run.report.p99 as number,
      delivered: run.report.delivered as number,
      expected: run.report.expected as number,
    }
    console.log(
      `# ${LABEL[setup]}: server CPU ${result.nodesCpuUsPerMsg.toFixed(2)} µs/msg (+ redis-server ${result.redisCpuUsPerMsg.toFixed(2)}), ${fmt(result.msgsPerSec)} msgs/s, p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms (${result.delivered}/${result.expected} delivered, connect ${run.connectMs} ms)`
    )
    return result
  } finally {
    await Promise.all(nodes.map((node) => node.server.close()))
  }
}

await waitForQuietMachine()
try {
  const routed = await routingPhase()
  const hop = await redisHop()
  const hopCluster = await onRedisCluster((cluster) =>
    redisHop(cluster, 'a 3-master Redis Cluster')
  )
  const all: Array<Awaited<ReturnType<typeof cpuCost>>> = []
  for (let round = 0; round < ROUNDS; round++) {
    for (const setup of ['one', 'two'] as Setup[]) all.push(await cpuCost(setup))
  }
  const best = (setup: Setup) =>
    all
      .filter((run) => run.setup === setup)
      .reduce((low, run) => (run.nodesCpuUsPerMsg < low.nodesCpuUsPerMsg ? run : low))
  const one = best('one')
  const two = best('two')

  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length
  // Half of the hop's events cross the nodes, half stay
  const [routedBasis, hopBasis, cpuBasis]: Basis[] = [
    { events: ROUTED_EVENTS },
    { events: LATENCY_EVENTS / 2 },
    { events: CPU_EVENTS },
  ]
  const lines = [
    summary(
      'bus bytes per node',
      'bytes read off the bus per node',
      mean(routed.received.map((node) => node.bytes)) / 1024,
      'broadcast-to-all',
      routed.all.bytes / 1024,
      'KB',
      `interest routing, mean of ${routed.nodes} nodes`,
      routedBasis
    ),
    summary(
      'bus bytes per node, busiest',
      'bytes read off the bus by the busiest node',
      Math.max(...routed.received.map((node) => node.bytes)) / 1024,
      'broadcast-to-all',
      routed.all.bytes / 1024,
      'KB',
      'interest routing',
      routedBasis
    ),
    summary(
      'bus messages per node',
      'messages read off the bus per node',
      mean(routed.received.map((node) => node.messages)),
      'broadcast-to-all',
      routed.all.messages,
      '',
      `interest routing, mean of ${routed.nodes} nodes`,
      routedBasis
    ),
    summary(
      'redis hop p50',
      'p50 latency',
      hop.cross.p50,
      'same-node',
      hop.same.p50,
      'ms',
      'cross-node',
      hopBasis
    ),
    summary(
      'redis hop p99',
      'p99 latency',
      hop.cross.p99,
      'same-node',
      hop.same.p99,
      'ms',
      'cross-node',
      hopBasis
    ),
    summary(
      'redis cluster hop p50',
      'p50 latency',
      hopCluster.cross.p50,
      'same-node',
      hopCluster.same.p50,
      'ms',
      'cross-node on a 3-master cluster',
      hopBasis
    ),
    summary(
      'redis cluster hop p99',
      'p99 latency',
      hopCluster.cross.p99,
      'same-node',
      hopCluster.same.p99,
      'ms',
      'cross-node on a 3-master cluster',
      hopBasis
    ),
    summary(
      'cluster server CPU',
      'server CPU per delivered message',
      two.nodesCpuUsPerMsg,
      'one node',
      one.nodesCpuUsPerMsg,
      'µs',
      'two nodes over Redis',
      cpuBasis
    ),
    summary(
      'cluster server CPU with redis-server',
      'server + redis-server CPU per delivered message',
      two.nodesCpuUsPerMsg + two.redisCpuUsPerMsg,
      'one node',
      one.nodesCpuUsPerMsg + one.redisCpuUsPerMsg,
      'µs',
      'two nodes over Redis',
      cpuBasis
    ),
  ]
  const ms = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(2)} ms`
  console.log(
    `redis hop: p50 ${(hop.cross.p50 / hop.same.p50).toFixed(2)}x, p99 ${(hop.cross.p99 / hop.same.p99).toFixed(2)}x (cross-node vs same-node; ${ms(hop.cross.p50 - hop.same.p50)} at p50, ${ms(hop.cross.p99 - hop.same.p99)} at p99, ${fmt(N)} subscribers)`
  )
  console.log(
    `redis cluster hop: p50 ${(hopCluster.cross.p50 / hopCluster.same.p50).toFixed(2)}x, p99 ${(hopCluster.cross.p99 / hopCluster.same.p99).toFixed(2)}x (cross-node vs same-node on a 3-master Redis Cluster; ${ms(hopCluster.cross.p50 - hopCluster.same.p50)} at p50, ${ms(hopCluster.cross.p99 - hopCluster.same.p99)} at p99)`
  )
  await writeResult('cluster', {
    method: `routing: ${NODES} nodes over Redis, ${ROUTED_CHANNELS} channels (a 1/${NODES} share held on each node by one socket), ${ROUTED_EVENTS} events on every channel from the node after its holder; bytes and messages read off the bus per node (the engine's busReceived) against a Redis client subscribed to every channel's bus channel (what each node read with broadcast-to-all); ${N} subscribers; latency: events alternately published on node A (cross-node) and node B (where the subscribers are), one in flight, on one Redis and on a local 3-master Redis Cluster; CPU: this process's CPU (the nodes) per delivered message, ${CPU_PACE.rate} events/s, at most ${CPU_PACE.window} in flight, one node vs two over Redis (subscribers and publishes split evenly), lowest of ${ROUNDS} interleaved rounds`,
    n: N,
    latencyEvents: LATENCY_EVENTS,
    cpuEvents: CPU_EVENTS,
    routing: routed,
    hop,
    hopCluster,
    runs: { one, two },
    all,
    summary: lines,
  })
} finally {
  connection.disconnect()
  await redis.stop()
}
