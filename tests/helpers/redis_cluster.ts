import { execFile, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createConnection, createServer, type Server } from 'node:net'
import { promisify } from 'node:util'
import { killRedisServer, launchRedisServer } from './redis_server.ts'

/**
 * A throwaway 3-master Redis Cluster for tests: free ports, no persistence,
 * bound to the loopback, node configs in a temporary directory; killed and
 * removed on stop, so nothing is left behind
 */
export interface RedisTestCluster {
  nodes: Array<{ host: string; port: number }>
  /**
   * The running redis-servers' process ids, in the order of "nodes"
   */
  readonly pids: number[]
  stop(): Promise<void>
  /**
   * Kills one node and starts it again on the same port with the same
   * nodes.conf, so it rejoins with its slots (and no data); resolves once
   * every node is ok again, which a restarted master delays by the node
   * timeout (2 s)
   */
  restartNode(index: number): Promise<void>
}

const CLI = process.env.REDIS_CLI_BIN ?? 'redis-cli'
const CLUSTER_TIMEOUT_MS = 15_000
const MASTERS = 3

/**
 * Free ports, held open together so the OS cannot hand out one twice
 */
async function freePorts(count: number): Promise<number[]> {
  const probes: Server[] = []
  for (let i = 0; i < count; i++) {
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    probes.push(probe)
  }
  const ports = probes.map((probe) => (probe.address() as { port: number }).port)
  await Promise.all(probes.map((probe) => new Promise((resolve) => probe.close(resolve))))
  return ports
}

/**
 * One inline command's raw reply, or '' when the server does not answer
 */
function ask(port: number, command: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' })
    let answer = ''
    socket.setTimeout(500, () => socket.destroy())
    socket.on('connect', () => socket.write(`${command}\r\n`))
    socket.on('data', (data) => {
      answer += data.toString()
      // A bulk reply ($<length>) is complete once its body has arrived
      const bulk = /^\$(\d+)\r\n/.exec(answer)
      const complete = bulk
        ? Buffer.byteLength(answer) >= bulk[0].length + Number(bulk[1]) + 2
        : answer.includes('\r\n')
      if (complete) socket.end()
    })
    socket.on('close', () => resolve(answer))
    socket.on('error', () => {})
  })
}

function launch(port: number, busPort: number, dir: string): Promise<ChildProcess> {
  return launchRedisServer(port, [
    ...['--dir', dir, '--cluster-enabled', 'yes', '--cluster-node-timeout', '2000'],
    ...['--cluster-config-file', join(dir, `nodes-${port}.conf`)],
    // The bus port would default to port + 10000, which may be taken or
    // past 65535 for an ephemeral port (--cluster-port needs Redis 7)
    ...['--cluster-port', String(busPort)],
  ])
}

/**
 * Waits until every node knows the others and sees all 16384 slots served
 * (slots_ok counts only assigned ones), so the first command of a test is
 * not answered with CLUSTERDOWN
 */
async function settle(ports: number[]) {
  const deadline = Date.now() + CLUSTER_TIMEOUT_MS
  for (const port of ports) {
    let info = ''
    while (
      !info.includes('cluster_state:ok') ||
      !info.includes('cluster_slots_ok:16384') ||
      !info.includes(`cluster_known_nodes:${ports.length}`)
    ) {
      if (Date.now() > deadline) {
        throw new Error(`Redis Cluster node on port ${port} is not ok:\n${info || 'no answer'}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
      // The bulk reply's body, without its $<length> header
      info = (await ask(port, 'CLUSTER INFO')).replace(/^\$\d+\r\n/, '').trim()
    }
  }
}

export async function startRedisCluster(): Promise<RedisTestCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'redis-cluster-'))
  const [ports, busPorts] = await freePorts(MASTERS * 2).then((all) => [
    all.slice(0, MASTERS),
    all.slice(MASTERS),
  ])
  const children: ChildProcess[] = []
  // A test run that dies must not leave the servers running
  const onExit = () => {
    for (const child of children) child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
  process.once('exit', onExit)
  const stop = async () => {
    process.removeListener('exit', onExit)
    await Promise.all(children.map(killRedisServer))
    await rm(dir, { recursive: true, force: true })
  }

  try {
    // Settled together, so the servers that did start are killed if one did not
    const launched = await Promise.allSettled(
      ports.map((port, i) => launch(port, busPorts[i], dir))
    )
    for (const result of launched) if (result.status === 'fulfilled') children.push(result.value)
    const failed = launched.find((result) => result.status === 'rejected')
    if (failed) throw failed.reason
    const addresses = ports.map((port) => `127.0.0.1:${port}`)
    await promisify(execFile)(CLI, [
      ...['--cluster', 'create', ...addresses],
      ...['--cluster-replicas', '0', '--cluster-yes'],
    ]).catch((error) => {
      const output = `${error.stderr ?? ''}${error.stdout ?? ''}`.trim()
      throw new Error(
        `${CLI} --cluster create ${addresses.join(' ')} failed (${error.code}): ${output || error.message}`
      )
    })
    await settle(ports)
  } catch (error) {
    await stop()
    throw error
  }

  return {
    nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
    get pids() {
      return children.map((child) => child.pid!)
    },
    stop,
    async restartNode(index) {
      await killRedisServer(children[index])
      children[index] = await launch(ports[index], busPorts[index], dir)
      await settle(ports)
    },
  }
}
