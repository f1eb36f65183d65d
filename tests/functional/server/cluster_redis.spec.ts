import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { createRedisAdapter } from '../../../packages/engine/src/cluster/redis_adapter.ts'
import { clusterSuite } from '../../helpers/cluster_suite.ts'
import { startRedisServer, type RedisTestServer } from '../../helpers/redis_server.ts'

let server: RedisTestServer
let connection: Redis

/**
 * The three-node suite again, with the nodes sharing a real Redis (a
 * fresh key prefix per test) instead of one process's memory
 */
clusterSuite(
  'Redis',
  () => {
    const prefix = `test-${randomUUID()}:`
    return { cluster: (nodeId) => createRedisAdapter(connection, { nodeId, prefix }) }
  },
  {
    async setup() {
      server = await startRedisServer()
      connection = new Redis(server.url, { lazyConnect: true })
      return async () => {
        connection.disconnect()
        await server.stop()
      }
    },
  }
)
