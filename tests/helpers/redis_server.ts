import { spawn, type ChildProcess } from 'node:child_process'
import { createConnection, createServer } from 'node:net'
import { once } from 'node:events'

/**
 * A throwaway redis-server for tests: a free port, no persistence, bound to
 * the loopback; killed on stop, so nothing is left behind
 */
export interface RedisTestServer {
  port: number
  url: string
  /**
   * The running redis-server's process id (a benchmark reads its CPU time)
   */
  readonly pid: number
  stop(): Promise<void>
  /**
   * Kills the server and starts an empty one on the same port
   */
  restart(): Promise<void>
}

const BINARY = process.env.REDIS_SERVER_BIN ?? 'redis-server'
const START_TIMEOUT_MS = 10_000

async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as { port: number }
  await new Promise((resolve) => probe.close(resolve))
  return port
}

/**
 * Whether the server answers PING with +PONG
 */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' })
    let answer = ''
    socket.setTimeout(500, () => socket.destroy())
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (data) => {
      answer += data.toString()
      if (answer.includes('\r\n')) socket.end()
    })
    socket.on('close', () => resolve(answer.startsWith('+PONG')))
    socket.on('error', () => {})
  })
}

/**
 * Starts a redis-server on the port (no persistence, the loopback only,
 * then "args") and resolves once it answers PING
 */
export async function launchRedisServer(port: number, args: string[] = []): Promise<ChildProcess> {
  const child = spawn(
    BINARY,
    ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1', ...args],
    { stdio: ['ignore', 'ignore', 'pipe'] }
  )
  let exited: string | undefined
  child.once('exit', (code, signal) => (exited = `exited (${code ?? signal})`))
  child.once('error', (error) => (exited = error.message))
  const deadline = Date.now() + START_TIMEOUT_MS
  while (!(await pings(port))) {
    if (exited) throw new Error(`redis-server on port ${port} ${exited}`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`redis-server on port ${port} did not answer PING`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return child
}

export async function killRedisServer(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGKILL')
  await exited
}

export async function startRedisServer(): Promise<RedisTestServer> {
  const port = await freePort()
  let child = await launchRedisServer(port)
  // A test run that dies must not leave the server running
  const onExit = () => child.kill('SIGKILL')
  process.once('exit', onExit)
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child.pid!
    },
    async stop() {
      process.removeListener('exit', onExit)
      await killRedisServer(child)
    },
    async restart() {
      await killRedisServer(child)
      child = await launchRedisServer(port)
    },
  }
}
