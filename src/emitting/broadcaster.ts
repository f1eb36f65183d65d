import type { Logger } from '@adonisjs/core/logger'
import debug from '../debug.ts'
import { createMessage } from './message.ts'
import { channelType } from '@adonisjs-broadcasting/engine/rules'
import { BroadcastAppUnreachableException, BroadcastFailedException } from '../errors.ts'
import { channelNames, type ChannelLike } from './channels.ts'
import { assertSocketId } from './socket_id.ts'
import { currentRequestIsAuthenticated, currentSocketId } from './current_request.ts'
import type { EmitOrigin, SentOnce } from './dispatch/sent_once.ts'
import { queueOf } from './queue/broadcast_queue.ts'
import type { BroadcastQueue } from './queue/types.ts'
import {
  afterCommit,
  transactionOf,
  wantsAfterCommit,
  warnMissingTransaction,
} from './dispatch/after_commit.ts'
import type { TransactionLike } from './transaction.ts'
import { eventName, eventPayload, shouldBroadcast, type Broadcastable } from './broadcast_event.ts'
import type { BroadcastDriver, BroadcastMessage } from '../drivers/types.ts'
import type { ResolvedConnectionOptions } from './connection_options.ts'

/**
 * Listener told about every message a broadcaster hands to its driver.
 * Used by the fake to record what was emitted.
 */
export type EmitListener = (
  connection: string,
  message: BroadcastMessage,
  source?: Broadcastable
) => void

type Entry = { message: BroadcastMessage; source?: Broadcastable }

/**
 * What a broadcaster shares with the others of its manager
 */
export interface BroadcasterLinks {
  /**
   * Told about every message (the fake records them)
   */
  listener?: EmitListener
  sentOnce?: SentOnce
  /**
   * The queue for queued events; absent when faking, which records them
   */
  queue?: (what?: string) => Promise<BroadcastQueue>
  /**
   * Event classes already warned about for naming no transaction
   */
  warnedAfterCommit?: WeakSet<Function>
}

/**
 * Emits events on one connection. Obtained from "broadcast.use(name)";
 * "toOthers()" returns a copy that excludes the sender's socket.
 */
export class Broadcaster {
  #socketId?: string
  #transaction?: TransactionLike
  #now = false

  constructor(
    public readonly connection: string,
    public readonly driver: BroadcastDriver,
    protected options: ResolvedConnectionOptions,
    protected logger: Logger,
    protected links: BroadcasterLinks = {}
  ) {}

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
      const channels = await this.#allowedChannels(channelNames(event.broadcastOn()))
      if (channels.length === 0) continue
      const message = createMessage(
        channels,
        eventName(event),
        eventPayload(event),
        this.options.maxPayloadBytes,
        this.#socketId
      )
      entries.push({ message, source: event })
    }

    await this.#deliver(entries)
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
    await this.#deliver([{ message }])
  }

  #claim(event: Broadcastable, origin: EmitOrigin): boolean {
    if (!this.links.sentOnce || this.links.sentOnce.claim(event, this.connection, origin)) {
      return true
    }
    debug('%s: "%s" already broadcast, skipped', this.connection, eventName(event))
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

  /**
   * Sends now, or once the entry's transaction commits. Messages are built
   * (validated, payload taken) at emit time either way.
   */
  async #deliver(entries: Entry[]) {
    const now: Entry[] = []
    const later = new Map<TransactionLike, Entry[]>()
    for (const entry of entries) {
      const transaction = this.#transactionFor(entry.source)
      if (transaction) later.set(transaction, [...(later.get(transaction) ?? []), entry])
      else now.push(entry)
    }
    for (const [transaction, deferred] of later) {
      afterCommit(
        transaction,
        () => this.#send(deferred),
        (error) =>
          this.logger.error(
            {
              err: error,
              connection: this.connection,
              events: deferred.map((e) => e.message.event),
            },
            'broadcast failed after commit'
          )
      )
    }
    await this.#send(now)
  }

  #transactionFor(source?: Broadcastable): TransactionLike | undefined {
    if (this.#transaction) {
      return this.#transaction.isCompleted ? undefined : this.#transaction
    }
    if (!source || !wantsAfterCommit(source)) return undefined
    const { transaction, missing } = transactionOf(source)
    if (missing) {
      warnMissingTransaction(this.logger, source, (this.links.warnedAfterCommit ??= new WeakSet()))
    }
    return transaction
  }

  async #send(entries: Entry[]) {
    if (entries.length === 0) return
    for (const { message, source } of entries) {
      debug('%s: "%s" on %o', this.connection, message.event, message.channels)
      this.links.listener?.(this.connection, message, source)
    }

    try {
      await this.#handOver(entries)
    } catch (error) {
      if (this.options.onFailure !== 'report') {
        throw error
      }
      if (error instanceof BroadcastAppUnreachableException) {
        return BroadcastAppUnreachableException.log(error, this.logger)
      }
      const details = error instanceof BroadcastFailedException ? error : undefined
      this.logger.error(
        {
          err: error,
          connection: this.connection,
          events: entries.map(({ message }) => message.event),
          status: details?.responseStatus,
        },
        'broadcast failed'
      )
    }
  }

  /**
   * To the driver, or to the queue for queued events (a snapshot of the
   * messages, sent by a worker)
   */
  async #handOver(entries: Entry[]) {
    const direct: BroadcastMessage[] = []
    const queued = new Map<string | true, BroadcastMessage[]>()
    for (const { message, source } of entries) {
      const queue = this.links.queue && !this.#now ? queueOf(source, this.options.queue) : undefined
      if (queue === undefined) direct.push(message)
      else queued.set(queue, [...(queued.get(queue) ?? []), message])
    }
    await Promise.all([
      direct.length > 0 ? this.driver.send(direct) : undefined,
      ...[...queued].map(async ([name, messages]) => {
        const queue = await this.links.queue!(`"${messages[0].event}" on "${this.connection}"`)
        await queue.push(this.connection, messages, name === true ? undefined : name)
      }),
    ])
  }
}
