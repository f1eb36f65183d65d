import { test } from '@japa/runner'
import { WebSocket } from 'ws'
import { Redis } from 'ioredis'
import type { IncomingMessage } from 'node:http'
import { APP, TestCluster, type Node } from '../../helpers/test_cluster.ts'
import { startRedisServer, type RedisTestServer } from '../../helpers/redis_server.ts'
import { HOST, RawClient, sleep, within } from '../../helpers/server_clients.ts'
import { redisNodes } from '../../helpers/redis_nodes.ts'

/**
 * The client's address is the one the test names (as a trusted proxy's
 * X-Forwarded-For would be)
 */
const OPTIONS = {
  limits: { maxConnectionsPerIp: 3 },
  clientAddress: (req: IncomingMessage) => req.headers['x-test-address'] as string | undefined,
}

const opened: WebSocket[] = []

/**
 * A socket of the node from the address: admitted (its socket id) or
 * refused (the close code)
 */
async function connect(node: Node, address: string) {
  const ws = new WebSocket(`ws://${HOST}:${node.port}/app/${APP.key}?protocol=7`, {
    headers: { 'x-test-address': address },
  })
  opened.push(ws)
  const client = await RawClient.open(ws)
  if (client.socketId) return { client, admitted: true as const }
  const [error] = client.frames
  return { client, admitted: false as const, error, code: await client.closed() }
}

async function admitted(node: Node, address: string) {
  const result = await connect(node, address)
  if (!result.admitted) throw new Error(`refused: ${JSON.stringify(result.error)}`)
  return result.client
}

async function assertRefused(assert: any, node: Node, address: string) {
  const result = await connect(node, address)
  assert.isFalse(result.admitted, `a socket from ${address} admitted`)
  if (result.admitted) return
  assert.equal(result.code, 4100)
  assert.deepEqual(result.error.data, {
    code: 4100,
    message: 'Over capacity: 3 connections from one address',
  })
}

/**
 * Retries until a socket from the address is admitted (a close or a
 * reaping on another node lands)
 */
async function eventuallyAdmitted(node: Node, address: string, ms = 5000) {
  return within(
    (async () => {
      for (;;) {
        const result = await connect(node, address)
        if (result.admitted) return result.client
        await sleep(50)
      }
    })(),
    `a socket from ${address}`,
    ms
  )
}

const closeOpened = () => {
  for (const ws of opened.splice(0)) ws.terminate()
}

function perIpSuite(
  name: string,
  make: () => Promise<{ cluster: TestCluster }>,
  setup?: () => Promise<() => Promise<void>>
) {
  test.group(`Embedded server | connections per address across nodes (${name})`, (group) => {
    if (setup) group.setup(setup)
    let cluster: TestCluster
    group.each.setup(async () => {
      ;({ cluster } = await make())
      return async () => {
        closeOpened()
        await cluster.close()
      }
    })

    test('the 4th socket from one address is refused on whichever node it lands; a closed one frees a place', async ({
      assert,
    }) => {
      const [a, b] = cluster.nodes
      const ip = '203.0.113.5'
      const first = await admitted(a, ip)
      await admitted(b, ip)
      await admitted(a, ip)
      await assertRefused(assert, b, ip)
      await assertRefused(assert, a, ip)
      // Another address is not affected
      await admitted(b, '203.0.113.6')

      first.ws.close()
      await first.closed()
      await eventuallyAdmitted(b, ip)
      await assertRefused(assert, a, ip)
      await assertRefused(assert, b, ip)
    }).timeout(20_000)
  })
}

let redis: RedisTestServer

perIpSuite(
  'Redis',
  () => redisNodes(redis.url, 2, OPTIONS),
  async () => {
    redis = await startRedisServer()
    return () => redis.stop()
  }
)

perIpSuite('in memory', async () => ({ cluster: await TestCluster.start(2, OPTIONS) }))

test.group('Embedded server | connections per address over Redis: failures', (group) => {
  let server: RedisTestServer
  group.each.setup(async () => {
    server = await startRedisServer()
    return async () => {
      closeOpened()
      await server.stop()
    }
  })

  test('a node that dies: once reaped, its sockets no longer count for their address', async ({
    assert,
    cleanup,
  }) => {
    const { cluster, crash } = await redisNodes(server.url, 2, OPTIONS)
    cleanup(() => cluster.close())
    const [a, b] = cluster.nodes
    const ip = '198.51.100.20'
    await admitted(a, ip)
    await admitted(a, ip)
    const onB = await admitted(b, ip)
    await assertRefused(assert, a, ip)

    crash(b)
    onB.ws.terminate()
    await sleep(100)
    await assertRefused(assert, a, ip)
    // Reaped within the node timeout (1 s) and a heartbeat
    await eventuallyAdmitted(a, ip, 8000)
    await assertRefused(assert, a, ip)
  }).timeout(20_000)

  test('Redis restarted empty: each node counts its sockets again', async ({ assert, cleanup }) => {
    const { cluster } = await redisNodes(server.url, 2, OPTIONS)
    cleanup(() => cluster.close())
    const [a, b] = cluster.nodes
    const ip = '198.51.100.30'
    await admitted(a, ip)
    await admitted(a, ip)

    await server.restart()
    // The next heartbeat finds the registration lost and counts again
    const reader = new Redis(server.url)
    cleanup(() => reader.disconnect())
    const nodeA = a.server.nodeId!
    await within(
      (async () => {
        for (;;) {
          const [key] = await reader.keys(`*{ip:${ip}}:connections`)
          if (key && (await reader.hget(key, nodeA)) === '2') return
          await sleep(50)
        }
      })(),
      'A counted again',
      8000
    )
    await admitted(b, ip)
    await assertRefused(assert, b, ip)
    await assertRefused(assert, a, ip)
  }).timeout(20_000)

  for (const failure of ['down', 'stalled'] as const) {
    test(`Redis ${failure}: sockets are admitted on each node's own count, without waiting long, and the failure is reported once`, async ({
      assert,
      cleanup,
    }) => {
      const errors: string[] = []
      const logger = { error: (_: object, message: string) => errors.push(message), warn() {} }
      const { cluster } = await redisNodes(server.url, 2, { ...OPTIONS, logger })
      cleanup(async () => {
        if (failure === 'stalled') process.kill(server.pid, 'SIGCONT')
        await cluster.close()
      })
      const [a, b] = cluster.nodes
      const ip = '192.0.2.40'
      await admitted(b, ip)

      if (failure === 'down') await server.stop()
      else process.kill(server.pid, 'SIGSTOP')
      const started = Date.now()
      const sockets = [await admitted(a, ip), await admitted(a, ip), await admitted(a, ip)]
      const waited = Date.now() - started
      // A's own count still holds
      await assertRefused(assert, a, ip)
      assert.isBelow(waited, failure === 'down' ? 500 : 3 * 500 + 1000)
      assert.lengthOf(
        errors.filter((message) => message.includes('counting connections per address')),
        1
      )
      if (failure === 'down') return

      // A socket gone while it waited for Redis is not counted
      const leaving = new WebSocket(`ws://${HOST}:${a.port}/app/${APP.key}?protocol=7`, {
        headers: { 'x-test-address': '192.0.2.41' },
      })
      await new Promise((resolve) => leaving.once('open', resolve))
      leaving.terminate()
      for (const socket of sockets) socket.ws.close()
      await sleep(100)
      process.kill(server.pid, 'SIGCONT')

      // Redis answers again: the counts sent meanwhile land (B holds 1)
      await sleep(1500)
      await admitted(a, ip)
      await admitted(a, ip)
      await assertRefused(assert, a, ip)
      for (let i = 0; i < 3; i++) await admitted(b, '192.0.2.41')
      await assertRefused(assert, a, '192.0.2.41')
    }).timeout(20_000)
  }
})
