import { Job, Locator } from '@adonisjs/queue'
import type { Logger } from '@adonisjs/core/logger'
import type { BroadcastMessage } from '../../drivers/types.ts'
import type { BroadcastQueue } from './types.ts'

/**
 * Imported only when the queue is used: "@adonisjs/queue" is an optional
 * peer dependency
 */
export const BROADCAST_JOB = 'adonisjs-broadcasting:broadcast'

export interface BroadcastJobPayload {
  connection: string
  /**
   * Built and validated at emit time: the worker sends this snapshot and
   * never reloads models that may be gone by then
   */
  messages: BroadcastMessage[]
}

/**
 * Registers the job that sends queued messages and returns the queue that
 * pushes it. Retries are the queue's ("retry" in config/queue.ts, per
 * queue or global): a failure rethrows so the queue retries it.
 */
export function registerBroadcastJob(
  send: (connection: string, messages: BroadcastMessage[]) => Promise<void>,
  logger: Logger
): BroadcastQueue {
  class BroadcastJob extends Job<BroadcastJobPayload> {
    static options = { name: BROADCAST_JOB }

    async execute() {
      await send(this.payload.connection, this.payload.messages)
    }

    async failed(error: Error) {
      logger.error(
        {
          err: error,
          connection: this.payload.connection,
          events: this.payload.messages.map((message) => message.event),
        },
        'broadcast failed after the last retry'
      )
    }
  }
  Locator.register(BROADCAST_JOB, BroadcastJob)

  return {
    async push(connection, messages, queue) {
      const dispatch = BroadcastJob.dispatch({ connection, messages })
      await (queue ? dispatch.toQueue(queue) : dispatch)
    },
  }
}
