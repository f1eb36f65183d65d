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
  #written?: PromiseWithResolvers<void>

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

  /**
   * Resolves once the frames held now are written: what the HTTP API
   * awaits before answering, as soketi answers after its sends, so a
   * publisher that awaits each answer does not stamp its next event while
   * this one is still being written. With a hold window it resolves at
   * once: such a publisher is what fills the window.
   */
  written(): Promise<void> {
    if (!this.#scheduled || this.holdMs > 0) return Promise.resolve()
    return (this.#written ??= Promise.withResolvers<void>()).promise
  }

  #flush = () => {
    const held = this.#held
    const written = this.#written
    this.#held = []
    this.#scheduled = false
    this.#written = undefined
    try {
      for (const socket of held) socket.uncork()
    } finally {
      // An answer waiting on this batch never hangs
      written?.resolve()
    }
  }
}

/**
 * The batch of sockets made without a server's (each turn, no hold)
 */
export const TURN_BATCH = new WriteBatch()
