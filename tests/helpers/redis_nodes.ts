import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import type { ClusterFactory } from '../../packages/engine/src/cluster/cluster.ts'
import { RedisBus } from '../../packages/engine/src/bus/redis_bus.ts'
import { RedisState } from '../../packages/engine/src/state/redis_state.ts'
import { createRedisAdapter } from '../../packages/engine/src/cluster/redis_adapter.ts'
import { startRedisServer } from './redis_server.ts'
import type { EmbeddedServerOptions } from '../../packages/engine/src/embedded_server.ts'
import { TestCluster, type Node } from './test_cluster.ts'

export const quiet = { error() {}, warn() {} }

/**
 * Nodes over one Redis whose state connection the test can cut, as a
 * crash would: the node sends no leave and no heartbeat any more, and a
 * survivor reaps it once "nodeTimeout" has passed
 */
export function crashableRedis(url: string) {
  const prefix = `test-${randomUUID()}:`
  const app = new Redis(url, { lazyConnect: true })
  const commands = new Map<string, Redis>()
  const factory = Object.assign(
    (nodeId: string) => {
      const connection = new Redis(url, { lazyConnect: true, enableOfflineQueue: false })
      connection.on('error', () => {})
      commands.set(nodeId, connection)
      const state = new RedisState(connection, { nodeId, prefix, nodeTimeout: 1000 })
      const bus = new RedisBus(app, { nodeId, prefix })
      return {
        bus,
        state,
        async close() {
          await bus.close()
          connection.disconnect()
        },
      }
    },
    { shared: true }
  ) satisfies ClusterFactory
  return {
    prefix,
    factory,
    /**
     * The node can no longer reach Redis, and never will again
     */
    crash(node: Node) {
      commands.get(node.server.nodeId!)!.disconnect()
    },
    close() {
      app.disconnect()
      for (const connection of commands.values()) connection.disconnect()
    },
  }
}

/**
 * A raw socket of the node, subscribed to the channel as the user: a
 * presence member, or a socket signed in as the user on a private channel.
 * Resolves with the socket and the answer (succeeded or error).
 */
export async function open(cluster: TestCluster, node: Node, channel: string, userId: string) {
  const client = await cluster.raw(node)
  let auth: object
  if (channel.startsWith('presence-')) {
    auth = node.sdk.authorizeChannel(client.socketId, channel, { user_id: userId })
  } else {
    client.send({
      event: 'pusher:signin',
      data: node.sdk.authenticateUser(client.socketId, { id: userId }),
    })
    await client.next((frame) => frame.event === 'pusher:signin_success')
    auth = node.sdk.authorizeChannel(client.socketId, channel)
  }
  client.send({ event: 'pusher:subscribe', data: { channel, ...auth } })
  const answer = await client.next(
    (frame) =>
      frame.channel === channel &&
      (frame.event === 'pusher_internal:subscription_succeeded' ||
        frame.event === 'pusher:subscription_error'),
    5000
  )
  return { client, answer }
}

/**
 * Nodes of one cluster over the Redis at "url", on ports of their own,
 * heartbeating every 200 ms (a node is reaped 1 s after its last); a node
 * can be crashed ("crash"). close() closes the nodes and the connections.
 */
export async function redisNodes(
  url: string,
  count = 2,
  options: Partial<EmbeddedServerOptions> = {}
) {
  const adapter = crashableRedis(url)
  const cluster = new TestCluster()
  const merged = { cluster: adapter.factory, heartbeatInterval: 0.2, logger: quiet, ...options }
  for (let i = 0; i < count; i++) await cluster.addNode(merged)
  const close = cluster.close.bind(cluster)
  cluster.close = async () => {
    await close()
    adapter.close()
  }
  return { cluster, crash: adapter.crash, prefix: adapter.prefix }
}

/**
 * One real Redis for a suite's group (started by "hooks.setup", stopped
 * after it) and, per test, the options of nodes sharing it under a fresh
 * key prefix: the shape of the suites run "on Redis"
 */
export function sharedRedis() {
  let connection: Redis
  return {
    options: () => {
      const prefix = `test-${randomUUID()}:`
      return {
        cluster: (nodeId: string) => createRedisAdapter(connection, { nodeId, prefix }),
      }
    },
    hooks: {
      async setup() {
        const server = await startRedisServer()
        connection = new Redis(server.url, { lazyConnect: true })
        return async () => {
          connection.disconnect()
          await server.stop()
        }
      },
    },
  }
}
