/**
 * The server process of connections.ts, one per server kind, run with
 * --expose-gc: it starts the server, then answers "measure" with its
 * memory after a full GC. fanout.ts runs "ours-http" in it too.
 *
 * argv: <kind> [port]
 *
 * IPC: -> {type:'listening', port}
 *      <- {type:'measure'} -> {type:'memory', heapUsed, rss, external, arrayBuffers}
 *      <- {type:'close'}
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort } from './common.ts'
import type { ServerKind } from './bench_app.ts'
import { startServer } from './servers.ts'

const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with --expose-gc')

async function settledMemory() {
  for (let i = 0; i < 4; i++) {
    gc!()
    await sleep(100)
  }
  return process.memoryUsage()
}

const port = Number(process.argv[3]) || (await freePort())
const server = await startServer(process.argv[2] as ServerKind, port)
process.on('message', async (message: any) => {
  if (message?.type === 'measure') {
    process.send!({ type: 'memory', ...(await settledMemory()) })
  } else if (message?.type === 'close') {
    await Promise.race([server.close(), sleep(5000)])
    process.exit(0)
  }
})
process.send!({ type: 'listening', port: server.port })
