/*
|--------------------------------------------------------------------------
| npm run demo -- --nodes=2
|--------------------------------------------------------------------------
|
| Several nodes of the example app sharing one Redis (BROADCAST_ADAPTER=
| redis), on PORT, PORT+1, ... (a free port when one is taken): a browser
| on each node sees the other's events. Ctrl-C / SIGTERM stops the nodes,
| then the redis-server started for them.
|
*/
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { demoRedis, freePort } from './demo_redis.ts'

/**
 * "--nodes=N" or "--nodes N"; 1 without it
 */
export function nodeCount(args: string[]): number {
  const index = args.findIndex((arg) => arg === '--nodes' || arg.startsWith('--nodes='))
  if (index === -1) return 1
  const value = args[index].includes('=') ? args[index].split('=')[1] : args[index + 1]
  const count = Number(value)
  if (!Number.isInteger(count) || count < 1 || count > 16) {
    console.error(`--nodes takes a number from 1 to 16, got "${value ?? ''}"`)
    process.exit(1)
  }
  return count
}

function portIsFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', () => resolve(false))
    probe.listen(port, host, () => probe.close(() => resolve(true)))
  })
}

async function nodePorts(count: number, base: number, host: string) {
  const ports: number[] = []
  for (let index = 0; index < count; index++) {
    const wanted = base + index
    ports.push((await portIsFree(wanted, host)) ? wanted : await freePort(host))
  }
  return ports
}

/**
 * SIGTERM, then SIGKILL when it does not exit in time
 */
async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill(signal)
  const force = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(force)
}

async function answers(url: string) {
  return fetch(url).then(
    (response) => response.ok,
    () => false
  )
}

export async function startNodes(options: {
  count: number
  root: URL
  command: string[]
  logins: string
}) {
  const host = process.env.HOST ?? '127.0.0.1'
  let redis: Awaited<ReturnType<typeof demoRedis>>
  try {
    redis = await demoRedis(options.root)
  } catch (error) {
    console.error(`\n  ${(error as Error).message}\n`)
    process.exit(1)
  }
  // A demo that dies must not leave its redis-server behind
  process.once('exit', () => redis.child?.kill('SIGKILL'))

  const ports = await nodePorts(options.count, Number(process.env.PORT ?? 3333), host)
  const nodes = ports.map((port) =>
    spawn(options.command[0], options.command.slice(1), {
      cwd: options.root,
      stdio: 'inherit',
      env: {
        ...process.env,
        PORT: String(port),
        HOST: host,
        BROADCAST_ADAPTER: 'redis',
        REDIS_HOST: redis.host,
        REDIS_PORT: String(redis.port),
        // The redis-server started here has no password
        ...(redis.child ? { REDIS_PASSWORD: '' } : {}),
      },
    })
  )

  let stopping = false
  const stop = async (code: number) => {
    if (stopping) return
    stopping = true
    // The nodes leave the cluster's state before its Redis goes away
    await Promise.all(nodes.map((node) => stopChild(node)))
    if (redis.child) await stopChild(redis.child)
    process.exit(code)
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => stop(0))
  }
  for (const node of nodes) {
    node.on('exit', (code) => stop(code || 1))
  }

  const urls = ports.map((port) => `http://${host}:${port}`)
  while (!stopping) {
    const ready = await Promise.all(urls.map(answers))
    if (ready.every(Boolean)) break
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  if (stopping) return

  const where = redis.child
    ? `a redis-server started on ${redis.host}:${redis.port} (stopped with the demo)`
    : `the Redis at ${redis.host}:${redis.port}`
  console.log(`
  Demo running on ${urls.length} nodes sharing ${where}:
${urls.map((url, index) => `    node ${index + 1}  ${url}`).join('\n')}

  Open one node per browser window: what one node sends reaches the other's.
${options.logins}`)
}
