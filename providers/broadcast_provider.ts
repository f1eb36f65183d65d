import '../src/extended_types.ts'
import { configProvider } from '@adonisjs/core'
import type { ApplicationService } from '@adonisjs/core/types'
import { RuntimeException } from '@adonisjs/core/exceptions'
import { PolicyError } from '../src/errors.ts'
import { BroadcastManager } from '../src/broadcast_manager.ts'
import { PolicyService } from '../src/policies/policy_service.ts'
import { AuthorizationService } from '../src/authorization/authorization_service.ts'
import { IncomingWebhooks } from '../src/incoming_webhooks/incoming_webhooks.ts'
import { ConsoleConnection } from '../src/console/console_connection.ts'
import { MetricsEndpoint } from '../src/metrics/metrics_endpoint.ts'
import { attachBroadcastServer } from '../src/drivers/attach.ts'
import { BroadcastMetrics } from '../src/metrics/broadcast_metrics.ts'
import { ConsoleFeed } from '../src/console/console_feed.ts'
import { broadcastOnDispatch } from '../src/emitting/dispatch/broadcast_on_dispatch.ts'
import { appBroadcastQueue, assertQueue } from '../src/emitting/queue/broadcast_queue.ts'
import { useModelBroadcaster } from '../src/mixins/lucid.ts'
import { useGlobalTransactions } from '../src/emitting/dispatch/after_commit.ts'
import { EventsHub } from '../src/events_hub.ts'
import { emitLifecycleEvent } from '../src/lifecycle_events.ts'
import type { ResolvedBroadcastConfig } from '../src/define_config.ts'

/**
 * Registers the "broadcast" service (the manager), the policy service and
 * what the auth routes are injected with, and wires what the package tells
 * (one events hub) to the app's emitter, the metrics and the console: the
 * one place where the parts meet. Nothing is opened before the app is
 * ready, and nothing at all in warmup mode.
 */
export default class BroadcastProvider {
  #config?: Promise<ResolvedBroadcastConfig<any>>
  /**
   * The worker sends with the connection's driver, inline
   */
  #queue: ReturnType<typeof appBroadcastQueue>
  #console?: ConsoleFeed

  constructor(protected app: ApplicationService) {
    this.#queue = appBroadcastQueue(app, async (connection, messages) => {
      const broadcast = await app.container.make(BroadcastManager)
      await broadcast.driver(connection).send(messages)
    })
  }

  /**
   * "config/broadcast.ts", resolved once for every service
   */
  #resolveConfig() {
    this.#config ??= configProvider
      .resolve<ResolvedBroadcastConfig<any>>(this.app, this.app.config.get('broadcast'))
      .then((config) => {
        if (!config) {
          throw new RuntimeException(
            'Invalid "config/broadcast.ts" file. Make sure you are using the "defineConfig" method'
          )
        }
        return config
      })
    return this.#config
  }

  register() {
    /**
     * What the embedded server and the policies tell. The lifecycle events
     * go to the app's emitter ("broadcast:<name>"); a failing listener
     * there is logged, never the server's problem.
     */
    this.app.container.singleton(EventsHub, async (resolver) => {
      const [logger, emitter] = await Promise.all([
        resolver.make('logger'),
        resolver.make('emitter'),
      ])
      const events = new EventsHub(logger)
      events.on('lifecycle', (event) => {
        Promise.resolve(emitLifecycleEvent(emitter, event)).catch((error) =>
          logger.error({ err: error }, `broadcast: a "broadcast:${event.name}" listener failed`)
        )
      })
      return events
    })

    this.app.container.singleton(PolicyService, async (resolver) => {
      const config = await this.#resolveConfig()
      return new PolicyService(
        config.policies,
        await resolver.make('logger'),
        await resolver.make(EventsHub)
      )
    })
    this.app.container.alias('broadcast.policies', PolicyService)

    /**
     * prom-client is loaded only when metrics are on
     */
    this.app.container.singleton(BroadcastMetrics, async (resolver) => {
      const config = await this.#resolveConfig()
      const { createMetrics } = await import('../src/metrics/create_metrics.ts')
      const metrics = await createMetrics(config.metrics)
      metrics.listen(await resolver.make(EventsHub))
      return metrics
    })

    /**
     * The debug console's feed: what it shows, sent to its channel
     */
    this.app.container.singleton(ConsoleFeed, async (resolver) => {
      const config = await this.#resolveConfig()
      this.#console = new ConsoleFeed(config.console.channel)
      this.#console.listen(await resolver.make(EventsHub))
      return this.#console
    })

    /**
     * The metrics and the console listen before the first driver exists
     */
    this.app.container.singleton(BroadcastManager, async (resolver) => {
      const config = await this.#resolveConfig()
      if (config.metrics.enabled) await resolver.make(BroadcastMetrics)
      if (config.console.enabled) await resolver.make(ConsoleFeed)
      return new BroadcastManager(config, {
        logger: await resolver.make('logger'),
        router: await resolver.make('router'),
        policies: await resolver.make(PolicyService),
        events: await resolver.make(EventsHub),
        queue: this.#queue,
      })
    })
    this.app.container.alias('broadcast', BroadcastManager)

    /**
     * The auth routes sign with the default connection's credentials
     */
    this.app.container.singleton(AuthorizationService, async (resolver) => {
      const config = await this.#resolveConfig()
      const broadcast = await resolver.make(BroadcastManager)
      return new AuthorizationService(config.authorization, {
        name: config.default,
        driver: broadcast.driver(),
      })
    })

    /**
     * The webhook route verifies with its connection's credentials
     */
    this.app.container.singleton(
      IncomingWebhooks,
      async (resolver) => new IncomingWebhooks(await resolver.make(BroadcastManager))
    )

    /**
     * The console and metrics routes get what they need of the manager
     * through these, not the manager itself: it registers their routes
     */
    this.app.container.singleton(
      ConsoleConnection,
      async (resolver) => new ConsoleConnection(await resolver.make(BroadcastManager))
    )
    this.app.container.singleton(MetricsEndpoint, async (resolver) => {
      const config = await this.#resolveConfig()
      const metrics = config.metrics.enabled ? await resolver.make(BroadcastMetrics) : undefined
      return new MetricsEndpoint(config, metrics)
    })
  }

  /**
   * Broadcastable class events go out when dispatched, in every
   * environment (a job or a command dispatches too). The manager is
   * resolved on the first such event, not at boot.
   */
  async boot() {
    if (this.app.getMode() === 'warmup') return
    const emitter = await this.app.container.make('emitter')
    broadcastOnDispatch(emitter, () => this.app.container.make(BroadcastManager))
    useModelBroadcaster(async () => ({
      broadcast: await this.app.container.make(BroadcastManager),
      logger: await this.app.container.make('logger'),
    }))
    if (this.app.container.hasBinding('lucid.db' as any)) {
      useGlobalTransactions(async () => {
        const db = await this.app.container.make('lucid.db' as any)
        return (
          db as { connectionGlobalTransactions: Map<string, unknown> }
        ).connectionGlobalTransactions.values()
      })
    }
    await assertQueue(this.app, () => this.#resolveConfig(), this.#queue)
  }

  /**
   * Policies load when the app serves requests, so a bad policy file stops
   * boot with its file, line and column. Ace commands skip it: a broken
   * policy must not break "node ace broadcast:check".
   */
  async start() {
    if (this.app.getMode() === 'warmup' || !['web', 'test'].includes(this.app.getEnvironment())) {
      return
    }
    const policies = await this.app.container.make(PolicyService)
    try {
      await policies.load()
    } catch (error) {
      throw error instanceof PolicyError ? error.forBoot(this.app.makePath()) : error
    }
    // A missing prom-client stops boot, naming the package
    const config = await this.#resolveConfig()
    if (config.metrics.enabled) await this.app.container.make(BroadcastMetrics)
  }

  /**
   * Watchers start once the app is ready, never in warmup mode. In the web
   * environment the default connection's embedded server (the "local"
   * driver) serves WebSockets and the Pusher HTTP API on the app's own
   * port; its sockets are closed (4200) on "terminating", before the HTTP
   * server waits for its open connections to end. The HTTP server stops
   * taking connections before the node leaves the cluster, so whatever it
   * accepted while draining is served (attachBroadcastServer).
   */
  async ready() {
    if (this.app.getMode() === 'warmup' || this.app.getEnvironment() !== 'web') {
      return
    }
    const policies = await this.app.container.make(PolicyService)
    if (policies.config.watch) {
      policies.watch()
    }
    const closeServer = await attachBroadcastServer(this.app)
    this.app.terminating(() => closeServer({ terminating: true }))
  }

  /**
   * Every service needs the config first: without it (never used, or
   * invalid) there is nothing to close
   */
  async shutdown() {
    if (this.app.getMode() === 'warmup') {
      return
    }
    const config = await this.#config?.catch(() => null)
    if (!config) {
      return
    }
    const policies = await this.app.container.make(PolicyService)
    policies.close()
    const broadcast = await this.app.container.make(BroadcastManager)
    this.#console?.close()
    await broadcast.close()
  }
}
