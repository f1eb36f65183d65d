import type { Logger } from '@adonisjs/core/logger'
import debug from '../debug.ts'
import { createMessage } from './message.ts'
import { channelType } from '@adonisjs-broadcasting/engine/rules'
import { channelNames, type ChannelLike } from './channels.ts'
import { assertSocketId } from './socket_id.ts'
import { currentRequestIsAuthenticated, currentSocketId } from './current_request.ts'
import { senderSocketOf } from './to_others.ts'
import type { EmitOrigin } from './dispatch/sent_once.ts'
import type { TransactionLike } from './transaction.ts'
import { eventName, eventPayload, shouldBroadcast, type Broadcastable } from './broadcast_event.ts'
import type { BroadcastDriver } from '../drivers/types.ts'
import type { ResolvedConnectionOptions } from './connection_options.ts'
import { Delivery, type BroadcasterLinks, type DeliveryMode, type Entry } from './delivery.ts'

/**
 * Emits events on one connection. Obtained from "broadcast.use(name)";
 * "toOthers()" returns a copy that excludes the sender's socket.
 */
export class Broadcaster {
  #socketId?: string
  #transaction?: TransactionLike
  #now = false
  #delivery: Delivery

  constructor(
    public readonly connection: string,
    public readonly driver: BroadcastDriver,
    protected options: ResolvedConnectionOptions,
    protected logger: Logger,
    protected links: BroadcasterLinks = {}
  ) {
    this.#delivery = new Delivery(connection, driver, options, logger, links)
  }

  /**
   * A broadcaster that does not deliver to the given socket, by default the
   * one in the current request's X-Socket-ID header
   *
   * @example
   * await broadcast.toOthers().emit(new MessagePosted(message))
   */
  toOthers(socketId?: string): Broadcaster {
    const copy = this.#copy()
    copy.#socketId = socketId === undefined ? currentSocketId() : assertSocketId(socketId)
    return copy
  }

  /**
   * A broadcaster that sends once the Lucid transaction commits, and
   * nothing if it rolls back (Laravel's "afterCommit()"). A transaction
   * already completed sends at once.
   *
   * @example
   * await broadcast.afterCommit(trx).emit(new OrderShipped(order))
   */
  afterCommit(transaction: TransactionLike): Broadcaster {
    const copy = this.#copy()
    copy.#transaction = transaction
    return copy
  }

  #copy(): Broadcaster {
    const copy = new Broadcaster(
      this.connection,
      this.driver,
      this.options,
      this.logger,
      this.links
    )
    copy.#socketId = this.#socketId
    copy.#transaction = this.#transaction
    copy.#now = this.#now
    return copy
  }

  /**
   * Broadcast inline even when the event or the connection asks for the
   * queue (Laravel's "broadcastNow"). After-commit events still wait for
   * their transaction.
   *
   * @example
   * await broadcast.emitNow(new OrderShipped(order))
   */
  async emitNow(events: Broadcastable | Broadcastable[]): Promise<void> {
    const copy = this.#copy()
    copy.#now = true
    return copy.emit(events)
  }

  /**
   * Broadcast one event, or several in as few requests as the driver allows
   *
   * @example
   * await broadcast.emit(new UserAdded(user))
   */
  async emit(events: Broadcastable | Broadcastable[]): Promise<void> {
    return this.#emit(Array.isArray(events) ? events : [events], 'hand')
  }

  /**
   * Broadcast a class event the emitter dispatched. Skipped when the app's
   * own listener already sent this object on this connection.
   */
  async dispatched(event: Broadcastable): Promise<void> {
    return this.#emit([event], 'dispatch')
  }

  async #emit(events: Broadcastable[], origin: EmitOrigin): Promise<void> {
    const list = events.filter((event) => shouldBroadcast(event) && this.#claim(event, origin))
    const entries: Entry[] = []

    for (const event of list) {
      const socketId = this.#socketId ?? this.#senderSocket(event)
      if (socketId === false) continue
      const channels = await this.#allowedChannels(channelNames(event.broadcastOn()))
      if (channels.length === 0) continue
      const message = createMessage(
        channels,
        eventName(event),
        eventPayload(event),
        this.options.maxPayloadBytes,
        socketId
      )
      entries.push({ message, source: event })
    }

    await this.#delivery.deliver(entries, this.#mode())
  }

  /**
   * Broadcast without an event class
   *
   * @example
   * await broadcast.channel(['releases', 'news'], 'NewRelease', { version: '2.0' })
   */
  async channel(
    channels: ChannelLike | ChannelLike[],
    event: string,
    data: unknown = {}
  ): Promise<void> {
    const names = await this.#allowedChannels(channelNames(channels))
    if (names.length === 0) return
    const message = createMessage(names, event, data, this.options.maxPayloadBytes, this.#socketId)
    await this.#delivery.deliver([{ message }], this.#mode())
  }

  #claim(event: Broadcastable, origin: EmitOrigin): boolean {
    if (!this.links.sentOnce || this.links.sentOnce.claim(event, this.connection, origin)) {
      return true
    }
    debug('%s: "%s" already broadcast, skipped', this.connection, eventName(event))
    return false
  }

  /**
   * The socket an event itself asks to leave out ("broadcastToOthers()",
   * "dontBroadcastToCurrentUser()"), taken now so a queue worker or a
   * commit later excludes it too. False for a malformed X-Socket-ID: the
   * sender cannot be left out, so the event is not sent, and nothing is
   * thrown (the request's work may well be done by now)
   */
  #senderSocket(event: Broadcastable): string | undefined | false {
    const { socketId, malformed } = senderSocketOf(event)
    if (malformed === undefined) return socketId
    this.logger.warn(
      { event: eventName(event), socketId: malformed },
      'broadcast: not sending an event to others: the X-Socket-ID header is not a socket id'
    )
    return false
  }

  /**
   * Applies "requireAuthenticatedSender": private and presence channels are
   * left out when the current request has no authenticated user
   */
  async #allowedChannels(channels: string[]): Promise<string[]> {
    if (!this.options.requireAuthenticatedSender) {
      return channels
    }
    const restricted = channels.filter((name) => channelType(name) !== 'public')
    if (restricted.length === 0 || (await currentRequestIsAuthenticated())) {
      return channels
    }
    this.logger.warn(
      { channels: restricted },
      'broadcast: not sending on private channels without an authenticated sender'
    )
    return channels.filter((name) => channelType(name) === 'public')
  }

  #mode(): DeliveryMode {
    return { transaction: this.#transaction, now: this.#now }
  }
}
