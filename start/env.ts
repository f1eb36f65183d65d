/*
|--------------------------------------------------------------------------
| Environment variables service
|--------------------------------------------------------------------------
*/
import { Env } from '@adonisjs/core/env'

export default await Env.create(new URL('../', import.meta.url), {
  NODE_ENV: Env.schema.enum(['development', 'production', 'test'] as const),
  PORT: Env.schema.number(),
  HOST: Env.schema.string({ format: 'host' }),
  APP_KEY: Env.schema.secret(),
  APP_URL: Env.schema.string({ format: 'url', tld: false }),
  LOG_LEVEL: Env.schema.string(),
  SESSION_DRIVER: Env.schema.enum(['cookie', 'memory'] as const),

  /*
  |----------------------------------------------------------
  | Variables for configuring the broadcasting package
  |----------------------------------------------------------
  */
  BROADCAST_CONNECTION: Env.schema.enum(['local', 'pusher', 'log', 'null'] as const),
  BROADCAST_ADAPTER: Env.schema.enum.optional(['memory', 'redis'] as const),
  BROADCAST_REDIS_CONNECTION: Env.schema.enum.optional(['main', 'cluster'] as const),
  BROADCAST_WEBHOOK_URL: Env.schema.string.optional({ format: 'url', tld: false }),
  BROADCAST_WEBHOOK_SECRET: Env.schema.secret.optional(),
  METRICS_TOKEN: Env.schema.secret.optional(),
  PUSHER_APP_ID: Env.schema.string({
    message: 'Missing environment variable "PUSHER_APP_ID": run "node ace broadcast:credentials"',
  }),
  PUSHER_APP_KEY: Env.schema.string({
    message: 'Missing environment variable "PUSHER_APP_KEY": run "node ace broadcast:credentials"',
  }),
  PUSHER_APP_SECRET: Env.schema.secret({
    message:
      'Missing environment variable "PUSHER_APP_SECRET": run "node ace broadcast:credentials"',
  }),
  PUSHER_ENCRYPTION_MASTER_KEY_BASE64: Env.schema.string.optional(),
  PUSHER_CLUSTER: Env.schema.string.optional(),
  PUSHER_HOST: Env.schema.string.optional({ format: 'host' }),
  PUSHER_PORT: Env.schema.number.optional(),
  PUSHER_SCHEME: Env.schema.enum.optional(['http', 'https'] as const),
  /**
   * A queue name: every event of the local connection goes through
   * @adonisjs/queue (config/queue.ts), and a worker sends it
   */
  BROADCAST_QUEUE: Env.schema.string.optional(),

  /*
  |----------------------------------------------------------
  | Variables for configuring the queue (config/queue.ts)
  |----------------------------------------------------------
  */
  QUEUE_DRIVER: Env.schema.enum.optional(['sync', 'redis'] as const),

  /*
  |----------------------------------------------------------
  | Variables for configuring the Redis connection
  |----------------------------------------------------------
  */
  REDIS_HOST: Env.schema.string.optional({ format: 'host' }),
  REDIS_PORT: Env.schema.number.optional(),
  REDIS_PASSWORD: Env.schema.string.optional(),
  REDIS_CLUSTER_NODES: Env.schema.string.optional(),
})
