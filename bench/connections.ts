/**
 * Connections: 10,000 idle subscribed connections (quick: 2,000), spread
 * over 100 channels, held by ours, raw "ws" and socket.io. Each server runs
 * in a fresh process of its own (bench/lib/conn_server.ts, --expose-gc);
 * the load generator is another process. Memory per connection = (memory
 * after connecting - memory before) / N, both taken after a full GC, for
 * the V8 heap and the process RSS.
 *
 * npm run bench:connections [-- --quick]   (writes bench/results/connections.json)
 */
import { execFileSync } from 'node:child_process'
import {
  fmt,
  nextMessage,
  quick,
  serveClock,
  spawnTs,
  stopChild,
  summary,
  waitForQuietMachine,
  writeResult,
} from './lib/common.ts'
import { clientKind, type ServerKind } from './lib/servers.ts'

const N = quick ? 2000 : 10_000
const ROOMS = 100
const SERVERS: ServerKind[] = ['ws', 'ours', 'socketio']

const limit = Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim())
if (limit < N + 500) {
  console.error(
    `ulimit -n is ${limit}: run "ulimit -n ${2 * N}" first (each process needs N + a few fds)`
  )
  process.exit(1)
}

async function measure(kind: ServerKind) {
  const server = spawnTs('bench/lib/conn_server.ts', [kind], ['--expose-gc'])
  const client = spawnTs('bench/lib/load_generator.ts')
  serveClock(client)
  const hello = nextMessage(client, 'hello')
  const listening = nextMessage(server, 'listening')
  try {
    const { port } = await listening
    await hello
    server.send({ type: 'measure' })
    const before = await nextMessage(server, 'memory')
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
    server.send({ type: 'measure' })
    const after = await nextMessage(server, 'memory')
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
    console.log(
      `# ${kind}: ${fmt(result.heapPerConn / 1024)} KiB heap, ${fmt(result.rssPerConn / 1024)} KiB RSS per connection (${N} connected in ${ready.ms} ms)`
    )
    return result
  } finally {
    await stopChild(client)
    await stopChild(server)
  }
}

await waitForQuietMachine()
const results: Array<Awaited<ReturnType<typeof measure>>> = []
for (const kind of SERVERS) results.push(await measure(kind))
const by = (kind: ServerKind) => results.find((r) => r.server === kind)!
const kib = (bytes: number) => bytes / 1024
const lines = [
  summary(
    `connections ${N}`,
    'heap per connection',
    kib(by('ours').heapPerConn),
    'raw ws',
    kib(by('ws').heapPerConn),
    'KiB'
  ),
  summary(
    `connections ${N} rss`,
    'RSS per connection',
    kib(by('ours').rssPerConn),
    'raw ws',
    kib(by('ws').rssPerConn),
    'KiB'
  ),
  summary(
    `connections ${N} socket.io`,
    'heap per connection',
    kib(by('socketio').heapPerConn),
    'raw ws',
    kib(by('ws').heapPerConn),
    'KiB',
    'socket.io'
  ),
  summary(
    `connections ${N} socket.io rss`,
    'RSS per connection',
    kib(by('socketio').rssPerConn),
    'raw ws',
    kib(by('ws').rssPerConn),
    'KiB',
    'socket.io'
  ),
]
await writeResult('connections', { n: N, rooms: ROOMS, results, summary: lines })
