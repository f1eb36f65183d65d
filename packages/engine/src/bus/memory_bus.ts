import { busChannelOf, type Bus, type BusMessage } from './bus.ts'
import { BusInterest } from './bus_interest.ts'
import { NO_INTEREST, type BusInterestOptions, type ChannelInterest } from './channel_interest.ts'

/**
 * Several nodes of one process (tests, benchmarks): a message goes to the
 * buses subscribed to its channel, as Redis sharded pub/sub does
 */
export class MemoryHub {
  #subscribers = new Map<string, Set<MemoryBus>>()

  subscribe(bus: MemoryBus, channels: string[]) {
    for (const channel of channels) {
      let buses = this.#subscribers.get(channel)
      if (!buses) this.#subscribers.set(channel, (buses = new Set()))
      buses.add(bus)
    }
  }

  unsubscribe(bus: MemoryBus, channels: Iterable<string>) {
    for (const channel of channels) {
      const buses = this.#subscribers.get(channel)
      if (!buses?.delete(bus)) continue
      if (buses.size === 0) this.#subscribers.delete(channel)
    }
  }

  /**
   * Whether a bus is subscribed to the channel here
   */
  subscribed(bus: MemoryBus, channel: string) {
    return this.#subscribers.get(channel)?.has(bus) === true
  }

  /**
   * Hands a message to every bus subscribed to its channel but the
   * sender's, as a fresh JSON copy (nothing a real transport could not
   * carry gets through) and on a later turn of the event loop, in send
   * order, as a network would
   */
  deliver(from: MemoryBus, message: BusMessage) {
    const buses = this.#subscribers.get(busChannelOf(message))
    if (!buses) return
    const json = JSON.stringify(message)
    for (const bus of buses) {
      if (bus !== from) setImmediate(() => bus.receive(JSON.parse(json)))
    }
  }
}

/**
 * The bus of one process. Alone (the default) there is nobody to tell, so
 * "send" does nothing and nothing is subscribed; on a MemoryHub it relays
 * to the other nodes by interest, a subscription taking effect on a later
 * turn as a round trip would.
 */
export class MemoryBus implements Bus {
  readonly interest: ChannelInterest
  #onMessage?: (message: BusMessage) => void
  #channels = new Set<string>()
  #closed = false

  constructor(
    readonly nodeId: string,
    protected hub?: MemoryHub,
    options: BusInterestOptions = {}
  ) {
    this.interest = hub
      ? new BusInterest(
          {
            subscribe: (channels) => this.#later(() => this.#subscribe(channels)),
            unsubscribe: (channels) => this.#later(() => this.#unsubscribe(channels)),
          },
          options
        )
      : NO_INTEREST
  }

  async start(onMessage: (message: BusMessage) => void) {
    this.#onMessage = onMessage
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
    if (this.#closed) return
    this.#closed = true
    this.#onMessage = undefined
    if (this.interest instanceof BusInterest) this.interest.close()
    this.hub?.unsubscribe(this, this.#channels)
    this.#channels.clear()
  }

  #subscribe(channels: string[]) {
    if (this.#closed) return
    this.hub!.subscribe(this, channels)
    for (const channel of channels) this.#channels.add(channel)
  }

  #unsubscribe(channels: string[]) {
    if (this.#closed) return
    this.hub!.unsubscribe(this, channels)
    for (const channel of channels) this.#channels.delete(channel)
  }

  #later(work: () => void) {
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        work()
        resolve()
      })
    )
  }
}
