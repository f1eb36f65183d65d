import { currentSenderSocket, type SenderSocket } from './current_request.ts'

/**
 * Sockets captured by "dontBroadcastToCurrentUser()", by event object: kept
 * off the event's fields, so they never reach its payload
 */
const captured = new WeakMap<object, SenderSocket>()

/**
 * Laravel's "dontBroadcastToCurrentUser()": the current request's socket,
 * taken now and excluded whenever the event is sent
 */
export function captureSenderSocket(event: object) {
  captured.set(event, currentSenderSocket())
}

/**
 * Laravel's "broadcastToEveryone()": forgets a captured socket
 */
export function forgetSenderSocket(event: object) {
  captured.delete(event)
}

/**
 * The socket an event asks to leave out, read when it is emitted (at
 * dispatch, before any queue or commit): the one it captured, else the
 * current request's when its "broadcastToOthers()" returns true. Empty
 * when it asks for nothing.
 */
export function senderSocketOf(event: { broadcastToOthers?(): boolean }): SenderSocket {
  const socket = captured.get(event)
  if (socket) return socket
  if (typeof event.broadcastToOthers === 'function' && event.broadcastToOthers() === true) {
    return currentSenderSocket()
  }
  return {}
}
