/*
|--------------------------------------------------------------------------
| A Redis for "npm run demo -- --nodes=2"
|--------------------------------------------------------------------------
|
| The app's own (REDIS_HOST / REDIS_PORT, from the environment or .env)
| when one answers there; otherwise a throwaway redis-server on a free
| port, which the demo stops on exit.
|
*/
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { parseEnv } from 'node:util'

export interface DemoRedis {
  host: string
  port: number
  /**
   * The redis-server started for the demo, if any
   */
  child?: ChildProcess
}

const START_TIMEOUT_MS = 10_000

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject)
    probe.listen(0, host, resolve)
  })
  const { port } = probe.address() as { port: number }
  await new Promise((resolve) => probe.close(resolve))
  return port
}

/**
 * Whether a Redis answers PING (one that wants a password says NOAUTH)
 */
export function redisAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host })
    let answer = ''
    socket.setTimeout(500, () => socket.destroy())
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (data) => {
      answer += data.toString()
      if (answer.includes('\r\n')) socket.end()
    })
    socket.on('close', () => resolve(answer.startsWith('+PONG') || answer.includes('NOAUTH')))
    socket.on('error', () => {})
  })
}

/**
 * Where the app would look for Redis: the environment wins over .env, as
 * in the app itself
 */
function configuredRedis(root: URL) {
  const file = new URL('.env', root)
  const dotenv = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {}
  return {
    host: process.env.REDIS_HOST || dotenv.REDIS_HOST || '127.0.0.1',
    port: Number(process.env.REDIS_PORT || dotenv.REDIS_PORT || 6379),
  }
}

export async function demoRedis(root: URL): Promise<DemoRedis> {
  const configured = configuredRedis(root)
  if (await redisAnswers(configured.host, configured.port)) return configured

  const binary = process.env.REDIS_SERVER_BIN ?? 'redis-server'
  const port = await freePort()
  // Its own process group: Ctrl-C must not stop it before the nodes leave it
  const child = spawn(
    binary,
    ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'],
    { stdio: 'ignore', detached: true }
  )
  let failure: string | undefined
  child.once('error', (error: NodeJS.ErrnoException) => {
    failure =
      error.code === 'ENOENT'
        ? `no "${binary}" found to start one: install Redis (apt install redis-server, brew install redis) or set REDIS_HOST and REDIS_PORT`
        : `"${binary}" could not start: ${error.message}`
  })
  child.once('exit', (code, signal) => (failure ??= `"${binary}" exited (${code ?? signal})`))

  const deadline = Date.now() + START_TIMEOUT_MS
  while (!(await redisAnswers('127.0.0.1', port))) {
    if (!failure && Date.now() > deadline) {
      child.kill('SIGKILL')
      failure = `"${binary}" did not answer on port ${port}`
    }
    if (failure) {
      throw new Error(
        `Several nodes need Redis, and none answers at ${configured.host}:${configured.port}; ${failure}`
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return { host: '127.0.0.1', port, child }
}
