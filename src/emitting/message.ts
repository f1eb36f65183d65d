import { MAX_EVENT_NAME_LENGTH } from '@adonisjs-broadcasting/engine/rules'
import type { BroadcastMessage } from '../drivers/types.ts'
import { E_INVALID_EVENT_NAME, E_PAYLOAD_TOO_LARGE } from '../errors.ts'

/**
 * Builds a message for a driver: checks the event name, serializes the
 * payload once and refuses it when over the limit.
 */
export function createMessage(
  channels: string[],
  event: string,
  data: unknown,
  maxPayloadBytes: number,
  socketId?: string
): BroadcastMessage {
  if (typeof event !== 'string' || event.length === 0) {
    throw new E_INVALID_EVENT_NAME([String(event), 'an event name must be a non-empty string'])
  }
  if (event.length > MAX_EVENT_NAME_LENGTH) {
    throw new E_INVALID_EVENT_NAME([event, `the limit is ${MAX_EVENT_NAME_LENGTH} characters`])
  }

  const serialized = typeof data === 'string' ? data : JSON.stringify(data ?? {})
  const size = Buffer.byteLength(serialized)
  if (size > maxPayloadBytes) {
    throw new E_PAYLOAD_TOO_LARGE([event, size, maxPayloadBytes])
  }

  return socketId
    ? { channels, event, data: serialized, socketId }
    : { channels, event, data: serialized }
}
