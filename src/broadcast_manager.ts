import type { Logger } from '@adonisjs/core/logger'
import type { ApplicationService } from '@adonisjs/core/types'
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

  constructor(
    protected app: ApplicationService,
    public readonly config: BroadcastConfig,
    protected logger: Logger
  ) {}

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
      ? new Broadcaster(name, async () => new NullDriver(), connection.options, this.logger, (...a) =>
          fake.record(...a)
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
      driver = connection.create(this.app)
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
    const drivers = [...this.#drivers.values()]
    this.#drivers.clear()
    this.#broadcasters.clear()
    await Promise.allSettled(drivers.map(async (driver) => (await driver).close?.()))
  }

  #connection(name: string): ConnectionConfig {
    const connection = this.config.connections[name]
    if (!connection) {
      throw new E_UNKNOWN_CONNECTION([name, Object.keys(this.config.connections).join(', ')])
    }
    return connection
  }
}
