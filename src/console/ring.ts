/**
 * The latest "capacity" items, oldest first; older ones fall off
 */
export class Ring<T> {
  #items: T[] = []

  constructor(readonly capacity: number) {}

  push(item: T) {
    this.#items.push(item)
    if (this.#items.length > this.capacity) this.#items.shift()
  }

  /**
   * Takes what was pushed since the last call
   */
  drain(): T[] {
    const items = this.#items
    this.#items = []
    return items
  }
}
