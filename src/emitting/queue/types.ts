import type { BroadcastMessage } from '../../drivers/types.ts'

/**
 * Where queued messages go: a job of "@adonisjs/queue" that a worker runs.
 * A module of its own: broadcast_queue.ts imports the job that returns one,
 * and the job must not import broadcast_queue.ts back.
 */
export interface BroadcastQueue {
  push(connection: string, messages: BroadcastMessage[], queue?: string): Promise<void>
}
