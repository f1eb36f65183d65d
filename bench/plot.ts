/**
 * The charts of docs/benchmarks.md, from bench/results/:
 *
 * - docs/fanout.svg: delivered messages per second against subscribers,
 *   each server, the paced scenario (fanout.json)
 * - docs/scale_cpu.svg: server CPU per delivered message against
 *   subscribers, paced and burst (fanout_scale.json, "bench:fanout -- --scale")
 * - docs/scale_memory.svg: RSS per idle subscribed connection against
 *   connections (connections_scale.json, "bench:connections -- --scale")
 *
 * A chart whose results are missing is skipped. npm run bench:plot
 */
import { readFile, writeFile } from 'node:fs/promises'
import { ROOT } from './lib/common.ts'
import { lineChart, type Series } from './lib/line_chart.ts'

interface FanoutRun {
  scenario?: string
  server: string
  n: number
  msgsPerSec: number
  serverCpuUsPerMsg: number
}
interface ConnectionsRun {
  server: string
  n: number
  rssPerConn: number
}

const SERVERS = [
  { server: 'ours', label: 'ours (local driver)', color: '#d62728' },
  { server: 'ours-http', label: 'ours (HTTP API)', color: '#ff7f0e' },
  { server: 'ours-http-coalesce1', label: 'ours (HTTP API, 1 ms)', color: '#8c564b' },
  { server: 'soketi', label: 'soketi 1.6 (HTTP API)', color: '#7f7f7f' },
  { server: 'ws', label: 'raw ws (baseline)', color: '#1f77b4' },
  { server: 'socketio', label: 'socket.io 4', color: '#2ca02c' },
  { server: 'transmit', label: 'Transmit 3 (SSE)', color: '#9467bd' },
]

async function results(name: string) {
  try {
    return JSON.parse(await readFile(new URL(`bench/results/${name}.json`, ROOT), 'utf8'))
  } catch {
    console.log(`plot: no bench/results/${name}.json, skipped`)
  }
}

async function write(name: string, svg: string) {
  await writeFile(new URL(`docs/${name}`, ROOT), svg)
  console.log(`plot: wrote docs/${name}`)
}

/** Each server's points of one scenario, in subscriber order */
function seriesOf<T extends { server: string; n: number }>(
  runs: T[],
  value: (run: T) => number,
  dashed = false
): Series[] {
  return SERVERS.map(({ server, label, color }) => ({
    label,
    color,
    dashed,
    points: runs
      .filter((r) => r.server === server)
      .sort((a, b) => a.n - b.n)
      .map((r) => ({ x: r.n, y: value(r) })),
  }))
}

const machine = (r: { node: string; cores: number; quick?: boolean }) =>
  `${r.node}, ${r.cores} cores${r.quick ? ', --quick' : ''}`
const scenario = (runs: FanoutRun[], name: string) =>
  runs.filter((r) => (r.scenario ?? 'paced') === name)

const fanout = await results('fanout')
if (fanout) {
  await write(
    'fanout.svg',
    lineChart({
      title: `Fan-out: delivered messages/s vs subscribers (${machine(fanout)})`,
      xLabel: 'subscribers on one channel',
      yLabel: 'delivered messages per second',
      yTick: (v) => `${Math.round(v / 1000)}k`,
      describe: (n, v) => `${Math.round(v)} msgs/s at ${n}`,
      series: seriesOf(scenario(fanout.runs, 'paced'), (r) => r.msgsPerSec),
    })
  )
}

const scale = await results('fanout_scale')
if (scale) {
  const cpu = (r: FanoutRun) => r.serverCpuUsPerMsg
  const burst = seriesOf(scenario(scale.runs, 'burst'), cpu, true)
  await write(
    'scale_cpu.svg',
    lineChart({
      title: `Server CPU per delivered message (${machine(scale)})`,
      xLabel: 'subscribers on one channel (solid: paced, dashed: burst)',
      yLabel: 'µs of server CPU per message',
      yTick: (v) => `${v}`,
      describe: (n, v) => `${v.toFixed(2)} µs at ${n}`,
      series: [
        ...seriesOf(scenario(scale.runs, 'paced'), cpu),
        ...burst.map((s) => ({ ...s, label: `${s.label}, burst` })),
      ],
    })
  )
}

const connections = await results('connections_scale')
if (connections) {
  await write(
    'scale_memory.svg',
    lineChart({
      title: `Memory per idle subscribed connection (${machine(connections)})`,
      xLabel: 'idle subscribed connections',
      yLabel: 'KiB of RSS per connection',
      yTick: (v) => `${v}`,
      describe: (n, v) => `${v.toFixed(2)} KiB at ${n}`,
      series: seriesOf(connections.results as ConnectionsRun[], (r) => r.rssPerConn / 1024),
    })
  )
}
