import type { Logger } from '@adonisjs/core/logger'
import debug from '../debug.ts'
import { BroadcastAppUnreachableException, BroadcastFailedException } from '../errors.ts'
import type { BroadcastDriver, BroadcastMessage } from '../drivers/types.ts'
import type { Broadcastable } from './broadcast_event.ts'
import type { ResolvedConnectionOptions } from './connection_options.ts'
import type { SentOnce } from './dispatch/sent_once.ts'
import {
  afterCommit,
  transactionOf,
  wantsAfterCommit,
  warnMissingTransaction,
} from './dispatch/after_commit.ts'
import { queueOf } from './queue/broadcast_queue.ts'
import type { BroadcastQueue } from './queue/types.ts'
import type { TransactionLike } from './transaction.ts'

/**
 * Listener told about every message a broadcaster hands to its driver.
 * Used by the fake to record what was emitted.
 */
export type EmitListener = (
  connection: string,
  message: BroadcastMessage,
  source?: Broadcastable
) => void

/**
 * A message built at emit time, and the event it came from
 */
export type Entry = { message: BroadcastMessage; source?: Broadcastable }

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
 * How a broadcaster asks for its messages to go out
 */
export interface DeliveryMode {
  /**
   * The transaction of "afterCommit(trx)", waited for whatever the event says
   */
  transaction?: TransactionLike
  /**
   * "emitNow()": inline even when the event or the connection asks for the
   * queue
   */
  now: boolean
}

/**
 * Hands one connection's messages over: now or once their transaction
 * commits, to the driver or to the queue, applying the connection's
 * "onFailure". What a broadcaster does once its messages are built.
 */
export class Delivery {
  constructor(
    readonly connection: string,
    readonly driver: BroadcastDriver,
    readonly options: ResolvedConnectionOptions,
    readonly logger: Logger,
    readonly links: BroadcasterLinks
  ) {}

  /**
   * Sends now, or once the entry's transaction commits. Messages are built
   * (validated, payload taken) at emit time either way.
   */
  async deliver(entries: Entry[], mode: DeliveryMode) {
    const now: Entry[] = []
    const later = new Map<TransactionLike, Entry[]>()
    for (const entry of entries) {
      const transaction = this.#transactionFor(entry.source, mode)
      if (transaction) later.set(transaction, [...(later.get(transaction) ?? []), entry])
      else now.push(entry)
    }
    for (const [transaction, deferred] of later) {
      afterCommit(
        transaction,
        () => this.#send(deferred, mode),
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
    await this.#send(now, mode)
  }

  #transactionFor(
    source: Broadcastable | undefined,
    mode: DeliveryMode
  ): TransactionLike | undefined {
    if (mode.transaction) {
      return mode.transaction.isCompleted ? undefined : mode.transaction
    }
    if (!source || !wantsAfterCommit(source)) return undefined
    const { transaction, missing } = transactionOf(source)
    if (missing) {
      warnMissingTransaction(this.logger, source, (this.links.warnedAfterCommit ??= new WeakSet()))
    }
    return transaction
  }

  async #send(entries: Entry[], mode: DeliveryMode) {
    if (entries.length === 0) return
    for (const { message, source } of entries) {
      debug('%s: "%s" on %o', this.connection, message.event, message.channels)
      this.links.listener?.(this.connection, message, source)
    }

    try {
      await this.#handOver(entries, mode)
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
  async #handOver(entries: Entry[], mode: DeliveryMode) {
    const direct: BroadcastMessage[] = []
    const queued = new Map<string | true, BroadcastMessage[]>()
    for (const { message, source } of entries) {
      const queue = this.links.queue && !mode.now ? queueOf(source, this.options.queue) : undefined
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
