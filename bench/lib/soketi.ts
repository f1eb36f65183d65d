/**
 * soketi 1.6 (uWebSockets.js) as a peer in the benchmarks. It lives in
 * bench/peers/soketi/ with its own package.json and lockfile, outside the
 * package's dependency tree, and is installed there on first use with
 * "npm ci" under the machine's Node 20 (system_node.ts). Each server is a
 * child process on that Node with the bench app's credentials; events reach
 * it through its HTTP API, as they reach "ours-http".
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { get } from 'node:http'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { ROOT, freePort } from './common.ts'
import { httpApiPublisher } from './http_api_publisher.ts'
import { APP, type BenchServer } from './bench_app.ts'
import { envFor, npmCliOf, systemNode20 } from './system_node.ts'

const DIR = fileURLToPath(new URL('bench/peers/soketi/', ROOT))
const ENTRY = join(DIR, 'node_modules/@soketi/soketi/bin/server.js')

const lastLine = (text: string | null | undefined) =>
  (text ?? '').trim().split('\n').filter(Boolean).at(-1)?.slice(0, 300) ?? ''

/** npm's first line that says what went wrong (not its code, nor where its log is) */
const npmReason = (stderr: string) =>
  stderr
    .split('\n')
    .map((line) => line.replace(/^npm (error|ERR!)\s*/, '').trim())
    .find((line) => line && !/^(code \S+|A complete log of this run)/.test(line))
    ?.slice(0, 300) ?? lastLine(stderr)

function install(node: string) {
  console.log('# installing soketi into bench/peers/soketi (first use: npm ci on Node 20, ~1 min)')
  const result = spawnSync(
    node,
    [npmCliOf(node), 'ci', '--no-audit', '--no-fund', '--loglevel=error'],
    { cwd: DIR, env: envFor(node), encoding: 'utf8', timeout: 600_000 }
  )
  if (result.status !== 0) {
    const why = result.error?.message ?? npmReason(result.stderr ?? '')
    throw new Error(
      `"npm ci" in bench/peers/soketi failed (${result.status ?? result.signal}): ${why}`
    )
  }
}

/** uWebSockets.js ships one binary per Node ABI: check that it loads here */
function checkLoads(node: string) {
  const result = spawnSync(node, ['-e', "require('uWebSockets.js')"], {
    cwd: DIR,
    env: envFor(node),
    encoding: 'utf8',
    timeout: 30_000,
  })
  if (result.status !== 0) {
    throw new Error(`uWebSockets.js does not load on ${node}: ${lastLine(result.stderr)}`)
  }
}

let prepared: Promise<string> | undefined

/**
 * The Node 20 binary to run soketi with, once soketi is installed; rejects
 * with a one-line reason when it cannot be (the caller skips soketi)
 */
export function prepareSoketi() {
  prepared ??= (async () => {
    const node = systemNode20()
    const fresh = !existsSync(ENTRY)
    if (fresh) install(node)
    try {
      checkLoads(node)
    } catch (error) {
      // An install cut short leaves soketi without its uWS: install once more
      if (fresh) throw error
      install(node)
      checkLoads(node)
    }
    return node
  })()
  return prepared
}

/** Resolves once GET / answers (soketi's health check), rejects if the child dies */
async function waitUntilUp(port: number, child: ChildProcess, output: string[]) {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `soketi exited (${child.exitCode ?? child.signalCode}): ${output.join(' | ')}`
      )
    }
    const up = await new Promise<boolean>((resolve) => {
      get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        res.resume()
        resolve(res.statusCode === 200)
      }).once('error', () => resolve(false))
    })
    if (up) return
    await sleep(100)
  }
  throw new Error(`soketi did not answer on port ${port} within 30 s: ${output.join(' | ')}`)
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

export async function startSoketi(port: number): Promise<BenchServer> {
  const node = await prepareSoketi()
  const env = envFor(node, {
    SOKETI_PORT: String(port),
    SOKETI_HOST: '127.0.0.1',
    SOKETI_DEFAULT_APP_ID: APP.appId,
    SOKETI_DEFAULT_APP_KEY: APP.key,
    SOKETI_DEFAULT_APP_SECRET: APP.secret,
    SOKETI_DEBUG: 'false',
    SOKETI_METRICS_ENABLED: 'false',
    // Its /usage server listens even with metrics off: a free port, loopback only
    SOKETI_METRICS_HOST: '127.0.0.1',
    SOKETI_METRICS_SERVER_PORT: String(await freePort()),
    // Node discovery always runs; by default it broadcasts UDP to the whole
    // network (255.255.255.255): keep its hellos on loopback
    SOKETI_CLUSTER_PORT: String(await freePort()),
    SOKETI_CLUSTER_UNICAST_ADDRESSES: '127.0.0.1',
    SOKETI_SHUTDOWN_GRACE_PERIOD: '0',
  })
  // cwd is the peer folder: soketi loads a ".env" from its cwd (dotenv)
  const child = spawn(node, [ENTRY, 'start'], { cwd: DIR, env, stdio: ['ignore', 'pipe', 'pipe'] })
  const output: string[] = []
  const keep = (chunk: Buffer) => {
    output.push(...String(chunk).trim().split('\n').filter(Boolean))
    output.splice(0, Math.max(0, output.length - 5))
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  const kill = () => child.kill('SIGKILL')
  process.once('exit', kill)
  try {
    await waitUntilUp(port, child, output)
  } catch (error) {
    kill()
    process.off('exit', kill)
    throw error
  }
  const api = httpApiPublisher(port)
  return {
    kind: 'soketi',
    port,
    pid: child.pid,
    publish: api.publish,
    async close() {
      api.close()
      await stop(child)
      process.off('exit', kill)
    },
  }
}
