import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { createRedisAdapter } from '../../../packages/engine/src/cluster/redis_adapter.ts'
import { lifecycleSuite } from '../../helpers/lifecycle_suite.ts'
import { startRedisServer, type RedisTestServer } from '../../helpers/redis_server.ts'

let redis: RedisTestServer
let connection: Redis

lifecycleSuite('one node', 1, () => ({}))

/**
 * Occupied and vacated are the cluster's: decided in Redis, reported by
 * the node whose join or leave decided them
 */
lifecycleSuite(
  'three Redis nodes',
  3,
  () => {
    const prefix = `test-${randomUUID()}:`
    return { cluster: (nodeId) => createRedisAdapter(connection, { nodeId, prefix }) }
  },
  {
    async setup() {
      redis = await startRedisServer()
      connection = new Redis(redis.url, { lazyConnect: true })
      return async () => {
        connection.disconnect()
        await redis.stop()
      }
    },
  }
)
