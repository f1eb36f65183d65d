import type { Bus, BusMessage } from './bus.ts'

/**
 * Several nodes of one process (tests, benchmarks): each bus that joined
 * gets the others' messages
 */
export class MemoryHub {
  #buses = new Set<MemoryBus>()

  join(bus: MemoryBus) {
    this.#buses.add(bus)
  }

  leave(bus: MemoryBus) {
    this.#buses.delete(bus)
  }

  /**
   * Hands a message to every bus but the sender's, as a fresh JSON copy
   * (nothing a real transport could not carry gets through) and on a later
   * turn of the event loop, in send order, as a network would
   */
  deliver(from: MemoryBus, message: BusMessage) {
    const json = JSON.stringify(message)
    for (const bus of this.#buses) {
      if (bus !== from) setImmediate(() => bus.receive(JSON.parse(json)))
    }
  }
}

/**
 * The bus of one process. Alone (the default) there is nobody to tell, so
 * "send" does nothing; on a MemoryHub it relays to the other nodes.
 */
export class MemoryBus implements Bus {
  #onMessage?: (message: BusMessage) => void

  constructor(
    readonly nodeId: string,
    protected hub?: MemoryHub
  ) {}

  async start(onMessage: (message: BusMessage) => void) {
    this.#onMessage = onMessage
    this.hub?.join(this)
  }

  async send(message: BusMessage) {
    if (this.#onMessage) this.hub?.deliver(this, message)
  }

  /**
   * A message from another node (the hub calls it)
   */
  receive(message: BusMessage) {
    this.#onMessage?.(message)
  }

  async close() {
    this.#onMessage = undefined
    this.hub?.leave(this)
  }
}
