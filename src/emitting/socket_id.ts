import { SOCKET_ID_PATTERN } from '@adonisjs-broadcasting/engine/rules'
import { E_INVALID_SOCKET_ID } from '../errors.ts'

/**
 * Throws E_INVALID_SOCKET_ID unless the value is a Pusher socket id. The
 * value comes from a client: the message quotes at most 40 characters of it.
 */
export function assertSocketId(socketId: string): string {
  if (!SOCKET_ID_PATTERN.test(socketId)) {
    throw new E_INVALID_SOCKET_ID([socketId.slice(0, 40)])
  }
  return socketId
}
