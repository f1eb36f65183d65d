/**
 * Fan-out: N subscribers on one channel (1,000 and 5,000), connected from a
 * load-generator child process over loopback; each server runs alone and
 * gets events of ~200 bytes, as fast as delivery allows, in two scenarios:
 *
 * - paced: at most WINDOW events in flight; the next one is emitted when
 *   the load generator confirms an event reached every subscriber
 * - burst: BURST events emitted back to back (a chat room, a live score),
 *   all stamped with the burst's start; the next burst once all arrived
 *
 * Reports delivered messages per second, p50/p99 latency from emit to
 * receipt and server CPU per delivered message, as ratios to the raw "ws"
 * baseline and to soketi measured in the same run. soketi and "ours-http"
 * get their events through the Pusher HTTP API, from the same client.
 *
 * npm run bench:fanout [-- --quick]   (writes bench/results/fanout.json)
 * npm run bench:fanout -- --metrics [--quick]: ours with metrics on against
 * off, interleaved (writes bench/results/fanout_metrics.json)
 * npm run bench:fanout -- --coalesce [--quick]: ours with limits.coalesceMs
 * 0, 1 and 5, interleaved (add --servers=ours,ours-coalesce1,...,soketi to
 * compare with soketi too)
 * npm run bench:fanout -- --profile: a CPU profile of each ours-http process
 * in bench/results/profiles/
 * npm run bench:fanout -- --scale: the scale curve, 1,000 / 5,000 / the
 * most the file-descriptor limit holds (20,000 with a limit of 21,500),
 * raw ws, ours, ours-http (0 and 1 ms) and soketi (bench/results/fanout_scale.json,
 * drawn by "npm run bench:plot")
 */
import {
  fmt,
  freePort,
  nextMessage,
  now,
  quick,
  serveClock,
  spawnTs,
  stopChild,
  summary as ratioLine,
  waitForQuietMachine,
  writeResult,
  fdLimit,
  loadLine,
  type Basis,
} from './lib/common.ts'
import { cpuMicros } from './lib/proc_stats.ts'
import { pumpEvents } from './lib/pump_events.ts'
import { clientKind, type ServerKind } from './lib/bench_app.ts'
import { startServer } from './lib/servers.ts'
import { prepareSoketi } from './lib/soketi.ts'

const WINDOW = 4
const BURST = 40
type Scenario = 'paced' | 'burst'
const flag = (name: string) =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1]
/** --servers=ws,ours, --scenarios=burst and --n=1000 --events=500 narrow a run (e.g. to profile) */
const METRICS = process.argv.includes('--metrics')
const COALESCE = process.argv.includes('--coalesce')
const SCALE = process.argv.includes('--scale')
let SERVERS = (flag('servers')?.split(',') ??
  (METRICS
    ? ['ours', 'ours-metrics']
    : COALESCE
      ? ['ours', 'ours-coalesce1', 'ours-coalesce5']
      : SCALE
        ? ['ws', 'ours', 'ours-http', 'ours-http-coalesce1', 'soketi']
        : ['ws', 'ours', 'ours-http', 'soketi', 'socketio', 'transmit'])) as ServerKind[]
const SCENARIOS = (flag('scenarios')?.split(',') ?? ['paced', 'burst']) as Scenario[]
/** socket.io and Transmit run the paced scenario only, to keep the run short */
const IN_BURST = new Set<ServerKind>([
  'ws',
  'ours',
  'ours-direct',
  'ours-http',
  'ours-metrics',
  'ours-coalesce1',
  'ours-coalesce5',
  'ours-http-coalesce1',
  'soketi',
])
const LABEL: Record<ServerKind, string> = {
  'ours': 'ours (local driver, in-process emit)',
  'ours-direct': 'ours (EmbeddedServer.publish, no manager)',
  'ours-http': 'ours (HTTP API, own process)',
  'ours-metrics': 'ours (local driver, in-process emit, metrics on)',
  'ours-coalesce1': 'ours (local driver, in-process emit, coalesceMs 1)',
  'ours-coalesce5': 'ours (local driver, in-process emit, coalesceMs 5)',
  'ours-http-coalesce1': 'ours (HTTP API, own process, coalesceMs 1)',
  'soketi': 'soketi 1.6 (HTTP API, own process)',
  'ws': 'raw ws',
  'socketio': 'socket.io',
  'transmit': 'transmit (SSE)',
}
/** Measured events per subscriber count (burst: rounded up to whole bursts) */
const PLAN = flag('n')
  ? [{ n: Number(flag('n')), events: Number(flag('events') ?? 200) }]
  : SCALE
    ? scalePlan()
    : quick
      ? [
          { n: 1000, events: 60 },
          { n: 5000, events: 15 },
        ]
      : [
          { n: 1000, events: 1000 },
          { n: 5000, events: 250 },
        ]

/**
 * 1,000 and 5,000 subscribers, then the most this machine holds: each
 * process keeps one descriptor per socket (the server's side in one, the
 * load generator's in another) and a margin for the rest. About 1.25 M
 * messages per size (quick: 1/10).
 */
function scalePlan() {
  const limit = fdLimit()
  const top = Math.min(20_000, Math.floor((limit - 1500) / 1000) * 1000)
  if (top < 20_000) {
    console.log(`# ulimit -n is ${limit}: the curve stops at ${fmt(top)} subscribers`)
  }
  return [1000, 5000, top].map((n) => ({
    n,
    events: Math.max(quick ? 10 : 60, Math.round((quick ? 125_000 : 1_250_000) / n)),
  }))
}

interface Run {
  scenario: Scenario
  server: ServerKind
  n: number
  events: number
  msgsPerSec: number
  p50: number
  p99: number
  max: number
  /** CPU time of the server's process per delivered message, in µs */
  serverCpuUsPerMsg: number
  connectMs: number
  delivered: number
  expected: number
}

/** The server's CPU so far in µs: its child process, or this process */
function cpuOf(pid: number | undefined) {
  if (pid) return cpuMicros(pid)
  const { user, system } = process.cpuUsage()
  return user + system
}

async function measure(
  kind: ServerKind,
  scenario: Scenario,
  n: number,
  measured: number
): Promise<Run> {
  // Warm-up first, not counted: 10% more events, or one burst
  const events = scenario === 'burst' ? Math.ceil(measured / BURST) * BURST : measured
  const warm = scenario === 'burst' ? BURST : Math.max(5, Math.round(events / 10))
  const total = warm + events
  const server = await startServer(kind, await freePort())
  const child = spawnTs('bench/lib/load_generator.ts')
  serveClock(child)
  try {
    await nextMessage(child, 'hello')
    child.send({
      type: 'connect',
      kind: clientKind(kind),
      port: server.port,
      n,
      events: total,
      warm,
    })
    const ready = await nextMessage(child, 'ready', 300_000)

    let started = 0
    let cpu = 0
    // The measured part starts once the warm-up events are all delivered
    await pumpEvents({
      child,
      warm,
      total,
      pace: scenario === 'burst' ? { burst: BURST } : { window: WINDOW },
      publish: (id, t) => server.publish(id, t),
      onMeasureStart: () => {
        started = now()
        cpu = cpuOf(server.pid)
      },
      label: `${kind} ${scenario}`,
    })
    const elapsed = now() - started
    const used = cpuOf(server.pid) - cpu
    child.send({ type: 'report' })
    const report = await nextMessage(child, 'report')
    return {
      scenario,
      server: kind,
      n,
      events,
      msgsPerSec: (n * events) / (elapsed / 1000),
      p50: report.p50,
      p99: report.p99,
      max: report.max,
      serverCpuUsPerMsg: used / (n * events),
      connectMs: ready.ms,
      delivered: report.delivered,
      expected: report.expected,
    }
  } finally {
    await stopChild(child)
    await server.close()
  }
}

/** Ratio lines of one scenario and subscriber count */
function summarize(scenario: Scenario, n: number, runs: Run[]) {
  const lines = []
  const by = (kind: ServerKind) => runs.find((r) => r.server === kind)
  const prefix = scenario === 'paced' ? 'fanout' : 'burst'
  const base = by('ws')
  const soketi = by('soketi')
  const cpu = 'server CPU per delivered message'
  // Every run of one size measured the same events
  const basis: Basis = { events: runs[0]?.events ?? 0 }
  const summary = (
    name: string,
    what: string,
    value: number,
    baselineName: string,
    baseline: number,
    unit: string,
    subject = 'ours'
  ) => ratioLine(name, what, value, baselineName, baseline, unit, subject, basis)
  const [off, on] = [by('ours'), by('ours-metrics')]
  if (off && on) {
    const name = `${prefix} ${n} metrics on`
    lines.push(
      summary(name, 'delivered msgs/s', on.msgsPerSec, 'metrics off', off.msgsPerSec, 'msgs/s'),
      summary(`${name} p50`, 'p50 latency', on.p50, 'metrics off', off.p50, 'ms'),
      summary(
        `${name} server CPU`,
        cpu,
        on.serverCpuUsPerMsg,
        'metrics off',
        off.serverCpuUsPerMsg,
        'µs'
      )
    )
  }
  const windows = [
    ['ours-coalesce1', 'ours'],
    ['ours-coalesce5', 'ours'],
    ['ours-http-coalesce1', 'ours-http'],
  ] as const
  for (const [window, without] of windows) {
    const [held, turn] = [by(window), by(without)]
    if (!held || !turn) continue
    const name = `${prefix} ${n} ${window}`
    lines.push(
      summary(
        name,
        'delivered msgs/s',
        held.msgsPerSec,
        'coalesceMs 0',
        turn.msgsPerSec,
        'msgs/s',
        window
      ),
      summary(`${name} p99`, 'p99 latency', held.p99, 'coalesceMs 0', turn.p99, 'ms', window),
      summary(
        `${name} server CPU`,
        cpu,
        held.serverCpuUsPerMsg,
        'coalesceMs 0',
        turn.serverCpuUsPerMsg,
        'µs',
        window
      )
    )
  }
  for (const run of runs.filter((r) => r.server !== 'ws')) {
    const kind = run.server
    const name = kind === 'ours' ? `${prefix} ${n}` : `${prefix} ${n} ${kind}`
    if (base) {
      lines.push(
        summary(
          name,
          'delivered msgs/s',
          run.msgsPerSec,
          'raw ws',
          base.msgsPerSec,
          'msgs/s',
          kind
        ),
        summary(`${name} p50`, 'p50 latency', run.p50, 'raw ws', base.p50, 'ms', kind),
        summary(`${name} p99`, 'p99 latency', run.p99, 'raw ws', base.p99, 'ms', kind)
      )
      if (
        kind.startsWith('ours-coalesce') ||
        kind.startsWith('ours-http') ||
        kind === 'ours' ||
        kind === 'soketi'
      ) {
        const { serverCpuUsPerMsg: mine } = run
        lines.push(
          summary(`${name} server CPU`, cpu, mine, 'raw ws', base.serverCpuUsPerMsg, 'µs', kind)
        )
      }
    }
    if (soketi && kind.startsWith('ours') && kind !== 'ours-metrics' && kind !== 'ours-direct') {
      lines.push(
        summary(
          `${name} vs soketi`,
          'delivered msgs/s',
          run.msgsPerSec,
          'soketi',
          soketi.msgsPerSec,
          'msgs/s',
          kind
        ),
        summary(`${name} p99 vs soketi`, 'p99 latency', run.p99, 'soketi', soketi.p99, 'ms', kind),
        summary(
          `${name} server CPU vs soketi`,
          cpu,
          run.serverCpuUsPerMsg,
          'soketi',
          soketi.serverCpuUsPerMsg,
          'µs',
          kind
        )
      )
    }
  }
  const ours = by('ours')
  const sio = by('socketio')
  if (ours && sio) {
    lines.push(
      summary(
        `${prefix} ${n} server CPU vs socket.io`,
        cpu,
        ours.serverCpuUsPerMsg,
        'socket.io',
        sio.serverCpuUsPerMsg,
        'µs'
      ),
      summary(
        `${prefix} ${n} vs socket.io`,
        'delivered msgs/s',
        ours.msgsPerSec,
        'socket.io',
        sio.msgsPerSec,
        'msgs/s'
      ),
      summary(
        `${prefix} ${n} p99 vs socket.io`,
        'p99 latency',
        ours.p99,
        'socket.io',
        sio.p99,
        'ms'
      )
    )
  }
  return lines
}

await waitForQuietMachine()
console.log(`# load before: ${loadLine()}`)
if (SERVERS.includes('soketi')) {
  try {
    await prepareSoketi()
  } catch (error) {
    console.log(`# soketi skipped: ${(error as Error).message}`)
    SERVERS = SERVERS.filter((kind) => kind !== 'soketi')
  }
}
/** Interleaved rounds; the best one of each server counts (noise only ever slows a run down) */
const ROUNDS = Number(flag('rounds') ?? (quick ? 1 : 2))
const all: Run[] = []
const runs: Run[] = []
const lines = []
for (const scenario of SCENARIOS) {
  // Repeats stay (--servers=ws,ours,ws,ours alternates them); the best run counts
  const order = SERVERS.filter((k) => scenario === 'paced' || IN_BURST.has(k))
  const kinds = [...new Set(order)]
  for (const { n, events } of PLAN) {
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of order) {
        const run = await measure(kind, scenario, n, events)
        all.push(run)
        console.log(
          `# ${scenario} ${LABEL[kind]} n=${n}: ${fmt(run.msgsPerSec)} msgs/s, p50 ${run.p50.toFixed(2)} ms, p99 ${run.p99.toFixed(2)} ms, server CPU ${run.serverCpuUsPerMsg.toFixed(2)} µs/msg (${run.delivered}/${run.expected} delivered, connect ${run.connectMs} ms)`
        )
      }
    }
    const best = kinds.map((kind) =>
      all
        .filter((r) => r.scenario === scenario && r.n === n && r.server === kind)
        .reduce((a, b) => (b.msgsPerSec > a.msgsPerSec ? b : a))
    )
    runs.push(...best)
    lines.push(...summarize(scenario, n, best))
  }
}

console.log(`# load after: ${loadLine()}`)
const result = METRICS
  ? 'fanout_metrics'
  : COALESCE
    ? 'fanout_coalesce'
    : SCALE
      ? 'fanout_scale'
      : 'fanout'
await writeResult(result, {
  method: `paced: window of ${WINDOW} events in flight, paced on the load generator's per-event acks; burst: ${BURST} events issued back to back, all stamped with the burst's start, the next burst once all are delivered; latency = receipt time (child clock + IPC-estimated offset) - emit time embedded in the payload; server CPU: this process (in-process servers) or the child's utime+stime from /proc (ours-http, soketi)`,
  rounds: ROUNDS,
  runs,
  all,
  summary: lines,
})
