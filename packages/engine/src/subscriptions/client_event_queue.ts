import type { SocketConnection } from '../connection/socket_connection.ts'

/**
 * Whether a client event may go: an answer at once (this process's state,
 * or nothing to ask) or later (Redis)
 */
export type ClientEventAnswer = boolean | Promise<boolean>

/**
 * Client events of each socket, handled in the order they came while some
 * wait for the cluster's count (Redis). An event that needs no answer from
 * afar, with nothing of its socket waiting, is handled at once, in the
 * turn it arrived: the in-memory cluster never waits. Each question is
 * asked when the event arrives, so the cluster counts in that order; an
 * event is handled only after its socket's earlier ones.
 *
 * When the answer fails (Redis down, or too slow), the event goes: the
 * node's own limits were checked before, so the user is held to them, as
 * before the cluster counted. The first failure of a run is reported, the
 * rest quietly until an answer comes again.
 */
export class ClientEventQueue {
  /**
   * The last event waiting of each socket
   */
  #last = new Map<SocketConnection, Promise<void>>()
  #failing = false

  constructor(protected report: (error: unknown, where: string) => void) {}

  /**
   * Asks now, then calls "handle" with the answer once the socket's
   * earlier events are handled. Nothing is handled for a socket closed
   * meanwhile.
   */
  run(socket: SocketConnection, ask: () => ClientEventAnswer, handle: (allowed: boolean) => void) {
    const answer = this.#ask(ask)
    const previous = this.#last.get(socket)
    if (previous === undefined && typeof answer === 'boolean') return handle(answer)

    const settled = Promise.resolve(answer).then(
      (allowed) => {
        this.#failing = false
        return allowed
      },
      (error) => this.#failed(error)
    )
    const after = previous
      ? previous.then(
          () => settled,
          () => settled
        )
      : settled
    const next = after.then((allowed) => {
      if (!socket.closed) handle(allowed)
    })
    this.#last.set(socket, next)
    const forget = () => {
      if (this.#last.get(socket) === next) this.#last.delete(socket)
    }
    // "handle" throwing is the caller's bug: reported, and the queue goes on
    next.then(forget, (error) => {
      forget()
      this.report(error, 'client event')
    })
  }

  #ask(ask: () => ClientEventAnswer): ClientEventAnswer {
    try {
      return ask()
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * The event goes on this node's count alone
   */
  #failed(error: unknown) {
    if (!this.#failing) {
      this.#failing = true
      this.report(error, 'counting client events across the cluster')
    }
    return true
  }
}
