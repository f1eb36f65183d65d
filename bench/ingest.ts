/**
 * HTTP API ingest: events per second the embedded server's Pusher HTTP API
 * accepts from the official "pusher" SDK (keep-alive agent, 16 requests in
 * flight, client in a child process), against a bare Node HTTP server that
 * reads the body and answers "{}" (the practical limit for the same client).
 * No socket is subscribed, so this is the API's own cost: routing, body
 * read, body_md5, HMAC check, JSON parse, validation.
 *
 * Then the number of HTTP requests the "pusher" driver makes for 1,000
 * events to 250 channels, counted by a local Pusher API stand-in.
 *
 * npm run bench:ingest [-- --quick]   (writes bench/results/ingest.json)
 */
import { createServer } from 'node:http'
import {
  fmt,
  freePort,
  nextMessage,
  quick,
  type Basis,
  spawnTs,
  summary,
  waitForQuietMachine,
  writeResult,
} from './lib/common.ts'
import { APP } from './lib/bench_app.ts'
import type { BroadcastManager } from '../src/broadcast_manager.ts'
import { defineConfig } from '../src/define_config.ts'
import { drivers } from '../src/connections.ts'
import { createManager } from '../tests/helpers/broadcast.ts'
import { PusherApiServer } from '../tests/helpers/pusher_api_server.ts'

const SECONDS = quick ? 2 : 10
const silentLogger = new Proxy({}, { get: () => () => {} }) as any

async function startOurs() {
  const manager = await createManager(
    defineConfig({ default: 'local', connections: { local: drivers.local({ ...APP }) } }),
    silentLogger
  )
  const driver = manager.driver()
  const { port } = await driver.listen(await freePort(), '127.0.0.1')
  return { port, close: () => manager.close() }
}

async function startBare() {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk) => chunks.push(chunk))
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'))
  })
  const port = await freePort()
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    port,
    close: () => {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(resolve))
    },
  }
}

async function load(
  start: () => Promise<{ port: number; close(): Promise<unknown> }>,
  mode: string
) {
  const server = await start()
  try {
    const child = spawnTs('bench/lib/ingest_client.ts', [
      String(server.port),
      mode,
      String(SECONDS),
    ])
    // The client warms up for 1 s; the server's CPU is read over the whole run
    const cpu = process.cpuUsage()
    const done = await nextMessage(child, 'done', (SECONDS + 60) * 1000)
    const used = process.cpuUsage(cpu)
    if (done.failed > 0) throw new Error(`${done.failed} requests failed`)
    const perSec = done.requests / (done.elapsedMs / 1000)
    return {
      ...done,
      eventsPerSec: done.events / (done.elapsedMs / 1000),
      // µs of server-process CPU per request, warm-up requests estimated at the measured rate
      serverCpuUsPerRequest:
        (used.user + used.system) / (done.requests + perSec * (SECONDS >= 5 ? 1 : 0.5)),
    }
  } finally {
    await server.close()
  }
}

/** HTTP requests the pusher driver makes for the given emits */
async function countRequests(emit: (manager: BroadcastManager<any>) => Promise<void>) {
  const api = await new PusherApiServer(APP.appId, APP.key, APP.secret).start()
  const manager = await createManager(
    defineConfig({
      default: 'pusher',
      connections: {
        pusher: drivers.pusher({ ...APP, host: '127.0.0.1', port: api.port, scheme: 'http' }),
      },
    }),
    silentLogger
  )
  await emit(manager)
  await manager.close()
  await api.close()
  if (api.rejected.length) throw new Error(`rejected: ${JSON.stringify(api.rejected[0])}`)
  const events = api.requests.reduce(
    (sum, r) => sum + (r.body?.batch ? r.body.batch.length : (r.body?.channels?.length ?? 0)),
    0
  )
  return { requests: api.requests.length, deliveredEventChannelPairs: events }
}

await waitForQuietMachine()
const figures: Record<string, any> = {}
for (const mode of ['trigger', 'batch']) {
  figures[`bare_${mode}`] = await load(startBare, mode)
  figures[`ours_${mode}`] = await load(startOurs, mode)
  const [ours, bare] = [figures[`ours_${mode}`], figures[`bare_${mode}`]]
  console.log(
    `# ${mode}: ours ${fmt(ours.eventsPerSec)} events/s (server CPU ${ours.serverCpuUsPerRequest.toFixed(1)} µs/request), bare ${fmt(bare.eventsPerSec)} events/s (${bare.serverCpuUsPerRequest.toFixed(1)} µs/request)`
  )
}

const EVENTS = 1000
const CHANNELS = 250
const event = (i: number) => ({
  broadcastOn: () => `ch-${i % CHANNELS}`,
  broadcastAs: () => 'bench',
  broadcastWith: () => ({ i }),
})
figures.pusherDriver = {
  oneEmitCall: await countRequests((m) =>
    m.emit(Array.from({ length: EVENTS }, (_, i) => event(i)))
  ),
  oneEmitPerEvent: await countRequests(async (m) => {
    for (let i = 0; i < EVENTS; i++) await m.emit(event(i))
  }),
  oneEventOnAllChannels: await countRequests((m) =>
    m.channel(
      Array.from({ length: CHANNELS }, (_, i) => `ch-${i}`),
      'bench',
      { i: 0 }
    )
  ),
}

// The request-count lines are exact: no basis to state
const loadBasis: Basis = { seconds: SECONDS }
const lines = [
  summary(
    'ingest trigger',
    'events/s accepted, 1 event per request',
    figures.ours_trigger.eventsPerSec,
    'bare node http',
    figures.bare_trigger.eventsPerSec,
    'events/s',
    'ours',
    loadBasis
  ),
  summary(
    'ingest batch',
    'events/s accepted, 10 events per batch request',
    figures.ours_batch.eventsPerSec,
    'bare node http',
    figures.bare_batch.eventsPerSec,
    'events/s',
    'ours',
    loadBasis
  ),
  summary(
    'ingest trigger server CPU',
    'server CPU per request',
    figures.ours_trigger.serverCpuUsPerRequest,
    'bare node http',
    figures.bare_trigger.serverCpuUsPerRequest,
    'µs',
    'ours',
    loadBasis
  ),
  summary(
    `pusher driver ${EVENTS} events/${CHANNELS} channels`,
    'HTTP requests, one emit([...]) call',
    figures.pusherDriver.oneEmitCall.requests,
    'one request per event',
    EVENTS,
    'requests'
  ),
  summary(
    `pusher driver ${EVENTS} events/${CHANNELS} channels, awaited one by one`,
    'HTTP requests',
    figures.pusherDriver.oneEmitPerEvent.requests,
    'one request per event',
    EVENTS,
    'requests'
  ),
  summary(
    `pusher driver 1 event on ${CHANNELS} channels`,
    'HTTP requests',
    figures.pusherDriver.oneEventOnAllChannels.requests,
    'one request per channel',
    CHANNELS,
    'requests'
  ),
]
await writeResult('ingest', { seconds: SECONDS, concurrency: 16, figures, summary: lines })
