import { randomUUID } from 'node:crypto'
import { test } from '@japa/runner'
import { Redis } from 'ioredis'
import type { WebSocket } from 'ws'
import { createRedisAdapter } from '../../../packages/engine/src/cluster/redis_adapter.ts'
import { TestCluster, type Node } from '../../helpers/test_cluster.ts'
import type { RawClient } from '../../helpers/server_clients.ts'
import { startRedisServer, type RedisTestServer } from '../../helpers/redis_server.ts'
import { startLatencyProxy, type LatencyProxy } from '../../helpers/latency_proxy.ts'

/**
 * Redis behind a proxy that delays every chunk: a join's round trips take
 * long enough for an unsubscribe or a close to arrive in between
 */
const REDIS_LATENCY_MS = 3
const ROUNDS = 60

/**
 * Frames in one TCP write, as a page sends them when it subscribes and
 * leaves in one go
 */
function inOneWrite(ws: WebSocket, frames: unknown[]) {
  const socket = (ws as unknown as { _socket: import('node:net').Socket })._socket
  socket.cork()
  for (const frame of frames) ws.send(JSON.stringify(frame))
  socket.uncork()
}

/**
 * Keys of channels and memberships left in Redis once every client is
 * gone: the nodes' heartbeats and registry are all that may stay
 */
async function leftovers(redis: Redis, prefix: string) {
  const keys = await redis.keys(`${prefix}*`)
  return keys.filter((key) => !/^[^:]+:(node:\{[^}]+\}|nodes)$/.test(key)).sort()
}

async function settled(redis: Redis, prefix: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs
  let keys = await leftovers(redis, prefix)
  while (keys.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    keys = await leftovers(redis, prefix)
  }
  return keys
}

test.group('Redis state | subscription churn leaves nothing behind', (group) => {
  let redis: RedisTestServer
  let proxy: LatencyProxy
  let connection: Redis
  let direct: Redis
  let prefix: string
  let cluster: TestCluster

  group.each.setup(async () => {
    redis = await startRedisServer()
    proxy = await startLatencyProxy(redis.port, REDIS_LATENCY_MS)
    connection = new Redis({ port: proxy.port, host: '127.0.0.1', lazyConnect: true })
    direct = new Redis(redis.url)
    prefix = `test-${randomUUID()}:`
    cluster = await TestCluster.start(2, {
      cluster: (nodeId) => createRedisAdapter(connection, { nodeId, prefix }),
    })
    return async () => {
      await cluster.close()
      connection.disconnect()
      direct.disconnect()
      await proxy.close()
      await redis.stop()
    }
  })

  /**
   * Clients of both nodes, each churning its own channels
   */
  async function clients(count: number) {
    const opened: Array<{ client: RawClient; node: Node }> = []
    for (let i = 0; i < count; i++) {
      const node = cluster.nodes[i % 2]
      opened.push({ client: await cluster.raw(node), node })
    }
    return opened
  }

  test('subscribe and unsubscribe in one write, and a turn apart', async ({ assert }) => {
    const opened = await clients(6)
    for (let round = 0; round < ROUNDS; round++) {
      await Promise.all(
        opened.map(async ({ client }, index) => {
          const channel = `churn-${index}-${round}`
          const subscribe = { event: 'pusher:subscribe', data: { channel } }
          const unsubscribe = { event: 'pusher:unsubscribe', data: { channel } }
          if (round % 2 === 0) {
            inOneWrite(client.ws, [subscribe, unsubscribe])
          } else {
            client.send(subscribe)
            await new Promise((resolve) => setImmediate(resolve))
            client.send(unsubscribe)
          }
        })
      )
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    // A last subscription proves every earlier frame was handled
    for (const { client, node } of opened) await cluster.subscribe(client, node, 'last')
    for (const { client } of opened) client.ws.close()

    assert.deepEqual(await settled(direct, prefix), [])
  })

  test('subscribe, then the socket closes at once (a page reload)', async ({ assert }) => {
    for (let round = 0; round < ROUNDS / 2; round++) {
      const opened = await clients(4)
      opened.forEach(({ client, node }, index) => {
        const channel = index % 2 ? 'news' : 'presence-room'
        const member = { user_id: `user-${index}`, user_info: { round } }
        const signed = channel.startsWith('presence-')
          ? node.sdk.authorizeChannel(client.socketId, channel, member)
          : {}
        inOneWrite(client.ws, [{ event: 'pusher:subscribe', data: { channel, ...signed } }])
        if (round % 2 === 0) client.ws.terminate()
        else setImmediate(() => client.ws.terminate())
      })
    }
    assert.deepEqual(await settled(direct, prefix), [])
    assert.deepEqual(await cluster.nodes[1].server.state.members('presence-room'), new Map())
  })
})
