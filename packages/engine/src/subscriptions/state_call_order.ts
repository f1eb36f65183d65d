/**
 * Keeps the state calls (join, leave) about one socket in one channel in
 * the order they were made: each waits for the previous one to settle, so
 * a leave never overtakes the join it undoes, whatever the state's round
 * trips. Keyed by socket and channel, not by subscription: a subscribe
 * after an unsubscribe joins only once that leave has settled.
 */
export class StateCallOrder {
  /**
   * The last call of each socket in each channel, by "socketId\nchannel"
   */
  #last = new Map<string, Promise<unknown>>()

  /**
   * Runs the call after the previous one settled; the first at once, so
   * it is sent to the state in the caller's turn
   */
  run<T>(socketId: string, channel: string, call: () => Promise<T>): Promise<T> {
    const key = `${socketId}\n${channel}`
    const previous = this.#last.get(key)
    const next = previous ? previous.then(call, call) : call()
    this.#last.set(key, next)
    const forget = () => {
      if (this.#last.get(key) === next) this.#last.delete(key)
    }
    next.then(forget, forget)
    return next
  }
}
