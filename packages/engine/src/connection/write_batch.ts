/**
 * A socket whose writes a batch holds
 */
export interface HeldWrites {
  uncork(): void
}

/**
 * Sockets holding frames, written out together: at the end of the
 * event-loop turn (setImmediate runs right after the turn's I/O
 * callbacks), or "holdMs" later with "limits.coalesceMs". Each socket's
 * frames of the batch then leave in one system call instead of one per
 * frame: the cost of a broadcast is mostly that call.
 */
export class WriteBatch {
  #held: HeldWrites[] = []
  #scheduled = false

  constructor(readonly holdMs = 0) {}

  /**
   * Holds a socket until the batch is written (once per batch: the socket
   * tracks whether it is held)
   */
  hold(socket: HeldWrites) {
    this.#held.push(socket)
    if (this.#scheduled) return
    this.#scheduled = true
    if (this.holdMs > 0) setTimeout(this.#flush, this.holdMs).unref()
    else setImmediate(this.#flush)
  }

  #flush = () => {
    const held = this.#held
    this.#held = []
    this.#scheduled = false
    for (const socket of held) socket.uncork()
  }
}

/**
 * The batch of sockets made without a server's (each turn, no hold)
 */
export const TURN_BATCH = new WriteBatch()
