/**
 * Counts something that can happen thousands of times a second (a dropped
 * event) and reports the count at most once per period: the first one at
 * once, the rest when the period ends. A log gets a line, not a flood.
 */
export class ThrottledCount {
  #count = 0
  #timer?: NodeJS.Timeout

  constructor(
    readonly periodMs: number,
    readonly report: (count: number) => void
  ) {}

  note() {
    this.#count++
    if (!this.#timer) this.#flush()
  }

  /**
   * Reports what is still counted and stops the timer
   */
  stop() {
    clearTimeout(this.#timer)
    this.#timer = undefined
    const count = this.#count
    this.#count = 0
    if (count > 0) this.report(count)
  }

  #flush() {
    const count = this.#count
    if (count === 0) {
      this.#timer = undefined
      return
    }
    this.#count = 0
    this.#timer = setTimeout(() => this.#flush(), this.periodMs).unref()
    this.report(count)
  }
}
