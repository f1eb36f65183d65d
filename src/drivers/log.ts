import type { Logger } from '@adonisjs/core/logger'
import type { BroadcastDriver, BroadcastMessage } from './types.ts'

/**
 * Writes every message to the app's logger instead of sending it:
 * handy in development without a Pusher account
 */
export class LogDriver implements BroadcastDriver {
  constructor(protected logger: Logger) {}

  async send(messages: BroadcastMessage[]) {
    for (const message of messages) {
      this.logger.info(
        {
          channels: message.channels,
          event: message.event,
          data: message.data,
          socketId: message.socketId,
        },
        'broadcast'
      )
    }
  }
}
