import env from '#start/env'
import { defineConfig } from '@adonisjs/redis'
import type { InferConnections } from '@adonisjs/redis/types'

/**
 * Used by the broadcasting Redis adapter (BROADCAST_ADAPTER=redis): nothing
 * connects while the adapter is the in-memory one
 */
const redisConfig = defineConfig({
  connection: 'main',

  connections: {
    main: {
      host: env.get('REDIS_HOST', '127.0.0.1'),
      port: env.get('REDIS_PORT', 6379),
      password: env.get('REDIS_PASSWORD', ''),
      db: 0,
      keyPrefix: '',
      /**
       * Keep trying while Redis is away, backing off up to 2 s: each node
       * serves its own sockets meanwhile and rejoins when Redis is back
       */
      retryStrategy: (times) => Math.min(times * 100, 2000),
    },

    /**
     * A Redis Cluster (BROADCAST_REDIS_CONNECTION=cluster): any of its
     * masters, as "host:port,host:port"; the others are discovered
     */
    cluster: {
      clusters: env
        .get('REDIS_CLUSTER_NODES', '127.0.0.1:7000')
        .split(',')
        .map((node) => {
          const [host, port] = node.trim().split(':')
          return { host, port: Number(port) }
        }),
      clusterOptions: {
        redisOptions: { password: env.get('REDIS_PASSWORD', '') || undefined },
        clusterRetryStrategy: (times) => Math.min(times * 100, 2000),
      },
    },
  },
})

export default redisConfig

declare module '@adonisjs/redis/types' {
  export interface RedisConnections extends InferConnections<typeof redisConfig> {}
}
