/**
 * How a bus subscribes its node to channels, and how far an outsider can
 * push it
 */
export interface BusInterestOptions {
  /**
   * Milliseconds a channel stays subscribed after its last local socket
   * left, so a page reload costs no round trip. Default 5000; 0 leaves at
   * once
   */
  linger?: number
  /**
   * Channels lingering at most; past it the oldest one is unsubscribed at
   * once. Default 10 000
   */
  maxLingering?: number
  /**
   * Channel changes waiting for the transport at most (subscribes not yet
   * confirmed, unsubscribes not yet sent); past it a new channel is
   * refused (503, the client may retry) until they are through. Default
   * 20 000
   */
  maxPending?: number
}

/**
 * What a bus subscribes through: a command each, for many channels
 */
export interface InterestTransport {
  subscribe(channels: string[]): Promise<unknown>
  unsubscribe(channels: string[]): Promise<unknown>
}

/**
 * How many channels go in one subscribe or unsubscribe command
 */
const CHANNELS_PER_COMMAND = 1000

/**
 * Channels cut into the lists of one command each
 */
export function inCommands(channels: string[]): string[][] {
  const commands: string[][] = []
  for (let start = 0; start < channels.length; start += CHANNELS_PER_COMMAND) {
    commands.push(channels.slice(start, start + CHANNELS_PER_COMMAND))
  }
  return commands
}

export const BUS_INTEREST_DEFAULTS = {
  linger: 5000,
  maxLingering: 10_000,
  maxPending: 20_000,
} satisfies Required<BusInterestOptions>

/**
 * What a node's local sockets tell their bus: a channel held (its first
 * socket, a signed-in user), released (the last one), and whether its
 * messages flow yet
 */
export interface ChannelInterest {
  hold(channel: string): void
  release(channel: string): void
  ready(channel: string): Promise<void> | undefined
}

/**
 * A node alone: there is nothing to receive, so nothing to wait for
 */
export const NO_INTEREST: ChannelInterest = {
  hold() {},
  release() {},
  ready: () => undefined,
}

export interface Batch {
  promise: Promise<void>
  resolve(): void
  reject(error: unknown): void
}

export function batch(): Batch {
  const made = Promise.withResolvers<void>()
  // Its waiters get the failure; nobody waiting is no unhandled rejection
  made.promise.catch(() => {})
  return made
}

/**
 * A channel this node holds, lingers in, or has a change pending for
 */
export interface Entry {
  /**
   * Local reasons to receive it (its first socket; a signed-in user)
   */
  holds: number
  /**
   * Subscribed, as far as the commands sent go
   */
  sent: boolean
  /**
   * The transport confirmed the subscribe: its messages reach this node
   */
  confirmed: boolean
  /**
   * The subscribe it waits for (the next one, or one in flight)
   */
  batch?: Batch
  /**
   * Held past "maxPending": not subscribed, its waiters are refused
   */
  refused?: boolean
}
