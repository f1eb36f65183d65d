/**
 * Ours as soketi runs: a server process of its own (conn_server.ts, the
 * "local" driver listening with its HTTP API), events published through
 * "POST /apps/<id>/events" from the benchmark's process. Its CPU is then
 * the server's alone, read from /proc like soketi's.
 */
import { fileURLToPath } from 'node:url'
import { nextMessage, ROOT, spawnTs, stopChild } from './common.ts'
import { httpApiPublisher } from './http_api_publisher.ts'
import type { BenchServer, ServerKind } from './bench_app.ts'

/**
 * "inner" is the in-process kind the child runs (ours, or ours with a
 * coalescing window), "kind" what the benchmark calls it
 */
export async function startOursHttp(
  port: number,
  inner: ServerKind = 'ours',
  kind: ServerKind = 'ours-http'
): Promise<BenchServer> {
  // --profile: a CPU profile of the server process in bench/results/profiles/
  const profile = process.argv.includes('--profile')
    ? ['--cpu-prof', `--cpu-prof-dir=${fileURLToPath(new URL('bench/results/profiles/', ROOT))}`]
    : []
  const child = spawnTs(
    'bench/lib/conn_server.ts',
    [inner, String(port)],
    ['--expose-gc', ...profile]
  )
  try {
    await nextMessage(child, 'listening', 60_000)
  } catch (error) {
    child.kill('SIGKILL')
    throw error
  }
  const api = httpApiPublisher(port)
  return {
    kind,
    port,
    pid: child.pid,
    publish: api.publish,
    async close() {
      api.close()
      await stopChild(child)
    },
  }
}
