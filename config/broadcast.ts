import env from '#start/env'
import type User from '#models/user'
import app from '@adonisjs/core/services/app'
import { safeEqual } from '@adonisjs/core/helpers'
import { adapters, defineConfig, drivers, isLocalRequest } from 'adonisjs-broadcasting'
import type { InferConnections } from 'adonisjs-broadcasting/types'

const broadcastConfig = defineConfig({
  /**
   * The connection "broadcast.emit" uses
   */
  default: env.get('BROADCAST_CONNECTION', 'local'),

  connections: {
    /**
     * The embedded Pusher-protocol server: pusher-js and laravel-echo
     * connect to this app's own port ("node ace broadcast:serve" runs it
     * on a port of its own)
     */
    local: drivers.local({
      appId: env.get('PUSHER_APP_ID'),
      key: env.get('PUSHER_APP_KEY'),
      secret: env.get('PUSHER_APP_SECRET').release(),
      encryptionMasterKeyBase64: env.get('PUSHER_ENCRYPTION_MASTER_KEY_BASE64'),
      /**
       * Ace commands and queue workers publish through the running app
       * (with the Redis adapter they publish onto Redis directly)
       */
      publishTo: { host: env.get('HOST'), port: env.get('PORT') },
      /**
       * One process by default. With BROADCAST_ADAPTER=redis, every
       * process of the app sharing the Redis of "config/redis.ts" (one
       * Redis, or a Redis Cluster) acts as one Pusher server
       */
      adapter:
        env.get('BROADCAST_ADAPTER', 'memory') === 'redis'
          ? adapters.redis({ connection: env.get('BROADCAST_REDIS_CONNECTION', 'main') })
          : adapters.memory(),
      /**
       * Pusher-compatible webhooks for consumers outside the app (the
       * app's own listeners use the "broadcast:*" emitter events), signed
       * with a secret of their own: signed with PUSHER_APP_SECRET, the
       * receiver could post them to this app's POST /broadcasting/webhooks,
       * which verifies with that secret
       */
      webhooks: env.get('BROADCAST_WEBHOOK_URL')
        ? [{ url: env.get('BROADCAST_WEBHOOK_URL')!, secret: outgoingWebhookSecret() }]
        : [],
      /**
       * The demo page shows how many watch the releases
       */
      subscriptionCount: (channel) => channel === 'releases',
      /**
       * With BROADCAST_QUEUE set, a queue worker sends the events
       * ("node ace queue:work --queue=<name>", config/queue.ts): the
       * request only pushes a job
       */
      queue: env.get('BROADCAST_QUEUE'),
    }),

    /**
     * Pusher Channels (set PUSHER_CLUSTER), or any Pusher-compatible
     * server (set PUSHER_HOST, PUSHER_PORT and PUSHER_SCHEME)
     */
    pusher: drivers.pusher({
      appId: env.get('PUSHER_APP_ID'),
      key: env.get('PUSHER_APP_KEY'),
      secret: env.get('PUSHER_APP_SECRET').release(),
      encryptionMasterKeyBase64: env.get('PUSHER_ENCRYPTION_MASTER_KEY_BASE64'),
      cluster: env.get('PUSHER_CLUSTER'),
      host: env.get('PUSHER_HOST'),
      port: env.get('PUSHER_PORT'),
      scheme: env.get('PUSHER_SCHEME'),
      onFailure: 'throw',
    }),

    /**
     * Writes events to the logger instead of sending them
     */
    log: drivers.log(),

    /**
     * Drops events
     */
    null: drivers.null(),
  },

  /**
   * Channel policy files: every *.yaml file in this folder. Watched in
   * development, so an edit applies without a restart.
   */
  policies: {
    path: app.makePath('policies'),
    watch: app.inDev,
    /**
     * Rules are type-checked against the User model's serialized fields:
     * a misspelt field stops boot with its file:line:col
     */
    user: { model: () => import('#models/user'), fields: { teamIds: 'list<int>' } },
  },

  /**
   * The auth routes. laravel-echo posts to "/broadcasting/auth" by default,
   * so that path is an alias of the route.
   */
  authorization: {
    path: '/broadcasting/authorize',
    aliases: ['/broadcasting/auth'],
    // What rules see besides the model's fields: "user.teamIds" feeds the sign-in's watchlist
    serializeUser: async (user: User) => ({
      // "broadcast:check --user" passes a JSON snapshot, not a model
      teamIds: typeof user.teamIds === 'function' ? await user.teamIds() : [],
    }),
  },

  /**
   * Prometheus metrics at GET /metrics (start/routes.ts), for Prometheus on
   * this machine (not through a proxy: see "isLocalRequest"), or anywhere
   * with "Authorization: Bearer <METRICS_TOKEN>". The details of GET
   * /health answer the same requests.
   */
  metrics: {
    shouldExpose: (ctx) => {
      if (isLocalRequest(ctx)) return true
      const token = env.get('METRICS_TOKEN')?.release()
      return (
        Boolean(token) && safeEqual(ctx.request.header('authorization') ?? '', `Bearer ${token}`)
      )
    },
  },

  /**
   * POST /broadcasting/webhooks receives Pusher Channels' webhooks and
   * emits them as "broadcast:<name>" events. Set it as the webhook URL of
   * the Pusher app whose key and secret the "pusher" connection holds.
   * Pusher sends no CSRF token: the route is exempt in "config/shield.ts".
   * A batch older than 5 minutes is refused, one received twice emitted
   * once ("replayWindow", "maxRemembered").
   */
  incomingWebhooks: {
    path: '/broadcasting/webhooks',
    connection: 'pusher',
  },
})

/**
 * BROADCAST_WEBHOOK_SECRET, which must not be the secret this app's
 * incoming webhook route verifies with
 */
function outgoingWebhookSecret() {
  const secret = env.get('BROADCAST_WEBHOOK_SECRET')?.release()
  if (!secret || secret === env.get('PUSHER_APP_SECRET').release()) {
    throw new Error(
      "Set BROADCAST_WEBHOOK_SECRET to a secret of its own, shared with the receiver of BROADCAST_WEBHOOK_URL: webhooks signed with PUSHER_APP_SECRET could be posted back to this app's POST /broadcasting/webhooks"
    )
  }
  return secret
}

export default broadcastConfig

declare module 'adonisjs-broadcasting/types' {
  export interface BroadcastConnections extends InferConnections<typeof broadcastConfig> {}
}
