import type { Logger } from '@adonisjs/core/logger'
import type { Route, Router } from '@adonisjs/core/http'
import type { ApplicationService } from '@adonisjs/core/types'
import { RuntimeException } from '@adonisjs/core/exceptions'
import debug from './debug.ts'
import { ChannelPolicies, watchPolicies, type PolicyPredicate } from './policies/main.ts'
import { Broadcaster } from './broadcaster.ts'
import { BroadcastFake } from './broadcast_fake.ts'
import { E_UNKNOWN_CONNECTION } from './errors.ts'
import { NullDriver } from './drivers/null.ts'
import type { ChannelLike } from './channels.ts'
import type {
  Broadcastable,
  BroadcastConfig,
  BroadcastDriver,
  ConnectionConfig,
  ConnectionName,
} from './types.ts'

/**
 * The "broadcast" service: emits on the default connection, or on another
 * one with "use". Drivers are created on first use and cached.
 */
export class BroadcastManager {
  #drivers = new Map<string, Promise<BroadcastDriver>>()
  #broadcasters = new Map<string, Broadcaster>()
  #fake?: BroadcastFake
  #policies?: Promise<ChannelPolicies>
  #loadedPolicies?: ChannelPolicies
  #predicates: Record<string, PolicyPredicate>
  #stopWatching?: () => void

  constructor(
    public readonly app: ApplicationService,
    public readonly config: BroadcastConfig<any>,
    protected logger: Logger,
    protected router?: Router
  ) {
    this.#predicates = { ...config.policies?.predicates }
  }

  /**
   * Registers the channel authorization and user authentication routes.
   * The callback receives each route, to add middleware.
   *
   * @example
   * broadcast.registerRoutes((route) => route.use(middleware.auth()))
   */
  registerRoutes(routeHandlerModifier?: (route: Route) => void) {
    if (!this.router) {
      throw new RuntimeException('Cannot register broadcasting routes without the router')
    }
    const AuthorizeController = () => import('./authorization/authorize_controller.ts')
    const UserAuthController = () => import('./authorization/user_auth_controller.ts')
    const settings = this.config.authorization ?? {}

    const paths = [settings.path ?? '/broadcasting/authorize', ...(settings.aliases ?? [])]
    paths.forEach((path, index) => {
      const route = this.router!.post(path, [AuthorizeController]).as(
        index === 0 ? 'broadcast.authorize' : `broadcast.authorize_${index}`
      )
      routeHandlerModifier?.(route)
    })

    const userAuth = this.router
      .post(settings.userAuthPath ?? '/broadcasting/user-auth', [UserAuthController])
      .as('broadcast.user_auth')
    routeHandlerModifier?.(userAuth)
  }

  /**
   * The loaded channel policies. Loaded once; a bad file rejects with an
   * error naming file, line and column.
   */
  policies(): Promise<ChannelPolicies> {
    if (!this.#policies) {
      this.#policies = ChannelPolicies.load(this.#policyPaths(), { predicates: this.#predicates })
      this.#policies.then(
        (policies) => (this.#loadedPolicies = policies),
        () => (this.#policies = undefined)
      )
    }
    return this.#policies
  }

  /**
   * Reload policies on change (development). An invalid edit keeps the last
   * good policies and is logged with its position.
   */
  watchPolicies() {
    if (this.#stopWatching) return
    this.#stopWatching = watchPolicies(
      this.#policyPaths(),
      (policies) => {
        debug('policies reloaded')
        this.#loadedPolicies = policies
        this.#policies = Promise.resolve(policies)
      },
      (error) => this.logger.error(`broadcast policies not reloaded: ${error.message}`),
      { predicates: this.#predicates }
    )
  }

  #policyPaths() {
    return this.config.policies?.path ?? this.app.makePath('policies')
  }

  /**
   * The broadcaster of a connection, the default one when no name is given
   *
   * @example
   * await broadcast.use('pusher').emit(new UserAdded(user))
   */
  use(name: ConnectionName = this.config.default as ConnectionName): Broadcaster {
    const connection = this.#connection(name)
    const cached = this.#broadcasters.get(name)
    if (cached) return cached

    const fake = this.#fake
    const broadcaster = fake
      ? new Broadcaster(
          name,
          async () => new NullDriver(),
          connection.options,
          this.logger,
          (...a) => fake.record(...a)
        )
      : new Broadcaster(name, () => this.driver(name), connection.options, this.logger)
    this.#broadcasters.set(name, broadcaster)
    return broadcaster
  }

  /**
   * The driver of a connection, created on first use
   */
  driver(name: ConnectionName = this.config.default as ConnectionName): Promise<BroadcastDriver> {
    const connection = this.#connection(name)
    let driver = this.#drivers.get(name)
    if (!driver) {
      driver = connection.create(this.app, { policies: () => this.#loadedPolicies })
      driver.catch(() => this.#drivers.delete(name))
      this.#drivers.set(name, driver)
    }
    return driver
  }

  /**
   * Broadcast one event or several on the default connection
   */
  emit(events: Broadcastable | Broadcastable[]) {
    return this.use().emit(events)
  }

  /**
   * Broadcast without an event class on the default connection
   */
  channel(channels: ChannelLike | ChannelLike[], event: string, data?: unknown) {
    return this.use().channel(channels, event, data)
  }

  /**
   * The default connection, excluding the sender's socket
   */
  toOthers(socketId?: string) {
    return this.use().toOthers(socketId)
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
    this.#stopWatching?.()
    this.#stopWatching = undefined
    const drivers = [...this.#drivers.values()]
    this.#drivers.clear()
    this.#broadcasters.clear()
    await Promise.allSettled(
      drivers.map(async (pending) => {
        const driver = await pending
        await driver.close?.()
      })
    )
  }

  #connection(name: string): ConnectionConfig {
    const connection = this.config.connections[name]
    if (!connection) {
      throw new E_UNKNOWN_CONNECTION([name, Object.keys(this.config.connections).join(', ')])
    }
    return connection
  }
}
