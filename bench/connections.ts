/**
 * Connections: 10,000 idle subscribed connections (quick: 2,000; --scale:
 * 10,000 then the most the file-descriptor limit holds, up to 50,000), spread
 * over 100 channels, held by ours, raw "ws", socket.io and soketi. Each
 * server runs in a fresh process of its own (bench/lib/conn_server.ts,
 * --expose-gc; soketi on Node 20, bench/lib/soketi.ts); the load generator
 * is another process. Memory per connection = (memory after connecting -
 * memory before) / N, both taken after a full GC, for the V8 heap and the
 * process RSS. soketi cannot be asked for a GC or its heap: its RSS is
 * VmRSS from /proc after a pause, its heap is not reported.
 *
 * npm run bench:connections [-- --quick]   (writes bench/results/connections.json)
 */
import { setTimeout as sleep } from 'node:timers/promises'
import {
  fdLimit,
  fmt,
  loadLine,
  freePort,
  nextMessage,
  quick,
  type Basis,
  serveClock,
  spawnTs,
  stopChild,
  summary,
  waitForQuietMachine,
  writeResult,
} from './lib/common.ts'
import { rssBytes } from './lib/proc_stats.ts'
import { clientKind, type ServerKind } from './lib/bench_app.ts'
import { prepareSoketi, startSoketi } from './lib/soketi.ts'

const SCALE = process.argv.includes('--scale')
const limit = fdLimit()
/** Each process holds one descriptor per socket and a margin for the rest */
const TOP = Math.min(50_000, Math.floor((limit - 1500) / 1000) * 1000)
const SIZES = quick ? [2000] : SCALE ? [10_000, TOP] : [10_000]
const ROOMS = 100
/** --servers=ws,soketi narrows a run; ours and raw ws are needed for the ratios */
const SERVERS = (process.argv
  .find((arg) => arg.startsWith('--servers='))
  ?.slice('--servers='.length)
  .split(',') ?? ['ws', 'ours', 'socketio', 'soketi']) as ServerKind[]

if (limit < SIZES[0] + 1500) {
  console.error(
    `ulimit -n is ${limit}: run "ulimit -n ${SIZES[0] + 1500}" first (each process needs N + a margin)`
  )
  process.exit(1)
}
if (SCALE && TOP < 50_000) {
  console.log(`# ulimit -n is ${limit}: the curve stops at ${fmt(TOP)} connections`)
}

interface Memory {
  heapUsed: number
  rss: number
  external: number
}

/**
 * A server process and how to read its memory: ours, raw ws and socket.io
 * in conn_server.ts (after a full GC), soketi as a child on Node 20
 */
async function serverProcess(kind: ServerKind) {
  if (kind === 'soketi') {
    const soketi = await startSoketi(await freePort())
    const memory = async (): Promise<Memory> => {
      await sleep(1000)
      return { heapUsed: Number.NaN, rss: rssBytes(soketi.pid!), external: Number.NaN }
    }
    return { port: soketi.port, memory, close: () => soketi.close() }
  }
  const server = spawnTs('bench/lib/conn_server.ts', [kind], ['--expose-gc'])
  const { port } = await nextMessage(server, 'listening')
  const memory = () => {
    server.send({ type: 'measure' })
    return nextMessage<Memory>(server, 'memory')
  }
  return { port, memory, close: () => stopChild(server) }
}

async function measure(kind: ServerKind, N: number) {
  const client = spawnTs('bench/lib/load_generator.ts')
  serveClock(client)
  const hello = nextMessage(client, 'hello')
  const server = await serverProcess(kind).catch(async (error) => {
    await stopChild(client)
    throw error
  })
  try {
    const { port } = server
    await hello
    const before = await server.memory()
    client.send({
      type: 'connect',
      kind: clientKind(kind),
      port,
      n: N,
      rooms: ROOMS,
      events: 0,
      warm: 0,
    })
    const ready = await nextMessage(client, 'ready', 300_000)
    const after = await server.memory()
    const result = {
      server: kind,
      n: N,
      connectMs: ready.ms,
      heapPerConn: (after.heapUsed - before.heapUsed) / N,
      rssPerConn: (after.rss - before.rss) / N,
      externalPerConn: (after.external - before.external) / N,
      before,
      after,
    }
    const heap = Number.isNaN(result.heapPerConn) ? 'n/a' : `${fmt(result.heapPerConn / 1024)} KiB`
    console.log(
      `# ${kind}: ${heap} heap, ${fmt(result.rssPerConn / 1024)} KiB RSS per connection (${N} connected in ${ready.ms} ms)`
    )
    return result
  } finally {
    await stopChild(client)
    await server.close()
  }
}

await waitForQuietMachine()
let kinds = SERVERS
if (kinds.includes('soketi')) {
  try {
    await prepareSoketi()
  } catch (error) {
    console.log(`# soketi skipped: ${(error as Error).message}`)
    kinds = kinds.filter((kind) => kind !== 'soketi')
  }
}
const kib = (bytes: number) => bytes / 1024
const NAME: Partial<Record<ServerKind, string>> = { ws: 'raw ws', socketio: 'socket.io' }
/** [subject, baseline, heap too]: the lines of the servers that were measured */
const PAIRS: Array<[ServerKind, ServerKind, boolean]> = [
  ['ours', 'ws', true],
  ['socketio', 'ws', true],
  ['soketi', 'ws', false],
  ['ours', 'soketi', false],
]
console.log(`# load before: ${loadLine()}`)
const results: Array<Awaited<ReturnType<typeof measure>>> = []
const lines = []
for (const N of SIZES) {
  for (const kind of kinds) results.push(await measure(kind, N))
  lines.push(...summarize(N))
}
console.log(`# load after: ${loadLine()}`)

/** The ratio lines of one size */
function summarize(N: number) {
  const by = (kind: ServerKind) => results.find((r) => r.server === kind && r.n === N)
  const out = []
  const basis: Basis = { connections: N }
  for (const [kind, baseKind, withHeap] of PAIRS) {
    const [run, base] = [by(kind), by(baseKind)]
    if (!run || !base) continue
    const [subject, baseline] = [NAME[kind] ?? kind, NAME[baseKind] ?? baseKind]
    const prefix = `connections ${N}${kind === 'ours' ? '' : ` ${subject}`}`
    const suffix = baseKind === 'ws' ? '' : ` vs ${baseline}`
    if (withHeap) {
      const heap = [
        kib(run.heapPerConn),
        baseline,
        kib(base.heapPerConn),
        'KiB',
        subject,
        basis,
      ] as const
      out.push(summary(`${prefix}${suffix}`, 'heap per connection', ...heap))
    }
    const rss = [
      kib(run.rssPerConn),
      baseline,
      kib(base.rssPerConn),
      'KiB',
      subject,
      basis,
    ] as const
    out.push(summary(`${prefix} rss${suffix}`, 'RSS per connection', ...rss))
  }
  return out
}
const result = SCALE ? 'connections_scale' : 'connections'
await writeResult(result, { n: SIZES[0], sizes: SIZES, rooms: ROOMS, results, summary: lines })
