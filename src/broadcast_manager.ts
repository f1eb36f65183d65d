import type { Logger } from '@adonisjs/core/logger'
import type { Route, Router } from '@adonisjs/core/http'
import { RuntimeException } from '@adonisjs/core/exceptions'
import { Broadcaster } from './emitting/broadcaster.ts'
import { BroadcastFake } from './emitting/broadcast_fake.ts'
import { E_UNKNOWN_CONNECTION } from './errors.ts'
import { NullDriver } from './drivers/null.ts'
import { SentOnce } from './emitting/dispatch/sent_once.ts'
import type { TransactionLike } from './emitting/transaction.ts'
import type { BroadcastQueue } from './emitting/queue/types.ts'
import type { ChannelLike } from './emitting/channels.ts'
import { EventsHub } from './events_hub.ts'
import type { Broadcastable } from './emitting/broadcast_event.ts'
import type { BroadcastDriver, ClientEventsPolicy } from './drivers/types.ts'
import type { ConnectionFactory, ConnectionsList, DriverOf } from './connections.ts'
import type { ResolvedBroadcastConfig } from './define_config.ts'

/**
 * The "broadcast" service: emits on the default connection, or on another
 * one with "use". Drivers are created on first use and cached. A container
 * singleton, aliased "broadcast".
 */
export class BroadcastManager<
  KnownConnections extends ConnectionsList<KnownConnections> = Record<string, ConnectionFactory>,
> {
  #drivers = new Map<string, BroadcastDriver>()
  #broadcasters = new Map<string, Broadcaster>()
  #fake?: BroadcastFake
  #logger: Logger
  #router?: Router
  #policies?: ClientEventsPolicy
  #sentOnce = new SentOnce()
  #warnedAfterCommit = new WeakSet<Function>()
  #queue?: (what?: string) => Promise<BroadcastQueue>

  /**
   * What the drivers tell (the embedded server's lifecycle events,
   * publishes, counts): the provider wires the app's emitter, the metrics
   * and the console to it
   */
  readonly events: EventsHub

  /**
   * "policies" decides client events on the embedded server (the policy
   * service); without it they are never allowed. The drivers tell what
   * happens on "events" (a hub of the manager's own by default).
   */
  constructor(
    public readonly config: ResolvedBroadcastConfig<KnownConnections>,
    dependencies: {
      logger: Logger
      router?: Router
      policies?: ClientEventsPolicy
      events?: EventsHub
      /**
       * Where queued events go ("@adonisjs/queue"); rejects with a message
       * saying what to install when it is missing
       */
      queue?: (what?: string) => Promise<BroadcastQueue>
    }
  ) {
    this.#queue = dependencies.queue
    this.#logger = dependencies.logger
    this.#router = dependencies.router
    this.#policies = dependencies.policies
    this.events = dependencies.events ?? new EventsHub(dependencies.logger)
  }

  /**
   * The channel policies the embedded server asks (the policy service)
   */
  get policies(): ClientEventsPolicy | undefined {
    return this.#policies
  }

  /**
   * Registers the channel authorization and user authentication routes,
   * and the route receiving Pusher's webhooks when "incomingWebhooks" is
   * configured. The callback receives each auth route, to add middleware;
   * never the webhook route, which Pusher calls without a user and which
   * its signature authenticates.
   *
   * @example
   * broadcast.registerRoutes((route) => route.use(middleware.auth()))
   */
  registerRoutes(routeHandlerModifier?: (route: Route) => void) {
    const router = this.#router
    if (!router) {
      throw new RuntimeException('Cannot register broadcasting routes without the router')
    }
    const AuthorizeController = () => import('./authorization/authorize_controller.ts')
    const UserAuthController = () => import('./authorization/user_auth_controller.ts')
    const settings = this.config.authorization

    const paths = [settings.path, ...settings.aliases]
    paths.forEach((path, index) => {
      const route = router
        .post(path, [AuthorizeController])
        .as(index === 0 ? 'broadcast.authorize' : `broadcast.authorize_${index}`)
      routeHandlerModifier?.(route)
    })

    const userAuth = router
      .post(settings.userAuthPath, [UserAuthController])
      .as('broadcast.user_auth')
    routeHandlerModifier?.(userAuth)

    /**
     * The debug console: its page, and the test events it sends
     */
    const consoleSettings = this.config.console
    if (consoleSettings.enabled) {
      const ConsoleController = () => import('./console/console_controller.ts')
      const page = router
        .get(consoleSettings.path, [ConsoleController, 'show'])
        .as('broadcast.console')
      const send = router
        .post(`${consoleSettings.path}/events`, [ConsoleController, 'send'])
        .as('broadcast.console.events')
      routeHandlerModifier?.(page)
      routeHandlerModifier?.(send)
    }

    const webhooks = this.config.incomingWebhooks
    if (webhooks) {
      const WebhookController = () => import('./incoming_webhooks/webhook_controller.ts')
      router.post(webhooks.path, [WebhookController]).as('broadcast.webhooks')
    }
  }

  /**
   * Registers GET "metrics.path" (default "/metrics"): the metrics in
   * Prometheus text format, for requests "metrics.shouldExpose" admits.
   * The callback receives the route, to add middleware.
   *
   * @example
   * broadcast.registerMetricsRoute()
   */
  registerMetricsRoute(routeHandlerModifier?: (route: Route) => void) {
    const router = this.#router
    if (!router) {
      throw new RuntimeException('Cannot register the metrics route without the router')
    }
    if (!this.config.metrics.enabled) {
      throw new RuntimeException(
        'Cannot register the metrics route: set "metrics" in "config/broadcast.ts" first'
      )
    }
    const MetricsController = () => import('./metrics/metrics_controller.ts')
    const route = router.get(this.config.metrics.path, [MetricsController]).as('broadcast.metrics')
    routeHandlerModifier?.(route)
  }

  /**
   * The broadcaster of a connection, the default one when no name is given
   *
   * @example
   * await broadcast.use('pusher').emit(new UserAdded(user))
   */
  use<K extends keyof KnownConnections & string>(name?: K): Broadcaster {
    const connection = name ?? this.config.default
    const cached = this.#broadcasters.get(connection)
    if (cached) return cached

    const { options } = this.#connection(connection)
    const fake = this.#fake
    const broadcaster = fake
      ? new Broadcaster(connection, new NullDriver(), options, this.#logger, {
          listener: (...a) => fake.record(...a),
          sentOnce: this.#sentOnce,
          warnedAfterCommit: this.#warnedAfterCommit,
        })
      : new Broadcaster(connection, this.driver(connection), options, this.#logger, {
          sentOnce: this.#sentOnce,
          queue: this.#queue,
          warnedAfterCommit: this.#warnedAfterCommit,
        })
    this.#broadcasters.set(connection, broadcaster)
    return broadcaster
  }

  /**
   * The driver of a connection, created on first use. Faking does not
   * replace it: the auth routes still sign with its credentials.
   */
  driver<K extends keyof KnownConnections & string>(name?: K): DriverOf<KnownConnections[K]> {
    const connection = name ?? this.config.default
    let driver = this.#drivers.get(connection)
    if (!driver) {
      driver = this.#connection(connection).create({
        connection,
        logger: this.#logger,
        policies: this.#policies,
        events: this.events,
      })
      this.#drivers.set(connection, driver)
    }
    return driver as DriverOf<KnownConnections[K]>
  }

  /**
   * Broadcast one event or several on the default connection
   */
  async emit(events: Broadcastable | Broadcastable[]) {
    return this.use().emit(events)
  }

  /**
   * Broadcast inline on the default connection, even when queued
   */
  async emitNow(events: Broadcastable | Broadcastable[]) {
    return this.use().emitNow(events)
  }

  /**
   * Broadcast a class event the emitter dispatched (the provider's "onAny"
   * listener), on the default connection
   */
  async dispatched(event: Broadcastable) {
    return this.use().dispatched(event)
  }

  /**
   * Broadcast without an event class on the default connection
   */
  async channel(channels: ChannelLike | ChannelLike[], event: string, data?: unknown) {
    return this.use().channel(channels, event, data)
  }

  /**
   * The default connection, excluding the sender's socket
   */
  toOthers(socketId?: string) {
    return this.use().toOthers(socketId)
  }

  /**
   * The default connection, sending once the transaction commits
   */
  afterCommit(transaction: TransactionLike) {
    return this.use().afterCommit(transaction)
  }

  /**
   * Record broadcasts instead of sending them, until "restore"
   */
  fake(): BroadcastFake {
    this.#fake = new BroadcastFake()
    this.#broadcasters.clear()
    return this.#fake
  }

  restore() {
    this.#fake = undefined
    this.#broadcasters.clear()
  }

  /**
   * Close every driver created so far
   */
  async close() {
    const drivers = [...this.#drivers.values()]
    this.#drivers.clear()
    this.#broadcasters.clear()
    await Promise.allSettled(drivers.map(async (driver) => driver.close?.()))
  }

  #connection(name: string): ConnectionFactory {
    const connection = (this.config.connections as Record<string, ConnectionFactory>)[name]
    if (!connection) {
      throw new E_UNKNOWN_CONNECTION([name, Object.keys(this.config.connections).join(', ')])
    }
    return connection
  }
}
