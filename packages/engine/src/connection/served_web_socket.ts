import { WebSocket, type RawData } from 'ws'
import type { SocketConnection } from './socket_connection.ts'

/**
 * What a served socket's events go to: one object for the server
 */
export interface ServedSocketEvents {
  message(socket: SocketConnection, raw: RawData): void
  close(socket: SocketConnection): void
}

/**
 * The WebSocket class of a server's sockets ("ws" option "WebSocket"): its
 * events reach the server's handlers without a listener on every socket.
 * Listeners cost memory on every idle connection: "ws" keeps each socket's
 * in a dictionary that grows with them, and closures would hold more.
 *
 * - "message" and "close" of a served socket go to the handlers, before
 *   any listener
 * - a pong proves a served socket alive
 * - "error" without a listener is dropped (as EventEmitter would throw): "ws" reports bad frames and
 *   resets as errors, and garbage sent to a socket must not throw
 */
export function servedWebSocketClass(events: ServedSocketEvents): typeof WebSocket {
  return class ServedWebSocket extends WebSocket {
    /**
     * Its connection, once admitted and served
     */
    connection: SocketConnection | undefined = undefined

    // "ws" makes a server's sockets with (null, undefined, options)
    constructor(...args: any[]) {
      super(...(args as ConstructorParameters<typeof WebSocket>))
      /**
       * No listener table until a listener is added: Node's EventEmitter
       * makes one on the first (an empty one costs every socket ~180 B)
       */
      ;(this as { _events?: unknown })._events = undefined
    }

    emit(event: string | symbol, ...args: any[]): boolean {
      const socket = this.connection
      if (socket !== undefined) {
        if (event === 'message') events.message(socket, args[0])
        else if (event === 'pong') {
          socket.lastActivity = Date.now()
          socket.pingedAt = undefined
        } else if (event === 'close') events.close(socket)
      }
      if (event === 'error' && this.listenerCount('error') === 0) return false
      return super.emit(event, ...args)
    }
  }
}

/**
 * A socket of a server's WebSocket class
 */
export interface ServedWebSocket extends WebSocket {
  /**
   * Its connection, once admitted and served
   */
  connection: SocketConnection | undefined
}
