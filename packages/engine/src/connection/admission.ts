import type { IncomingMessage } from 'node:http'
import type { ServerLimits } from '../limits.ts'
import type { OriginCheck } from './origins.ts'
import type { ChannelState } from '../state/channel_state.ts'
import { CloseCode } from '../protocol.ts'

/**
 * Why a connection is refused: the close code (sent first as
 * "pusher:error") and the reason
 */
export type Refusal = [code: number, reason: string]

/**
 * The cluster's counts of sockets per client address (the channel state),
 * for "maxConnectionsPerIp" on every node together
 */
export type AddressCounts = Pick<ChannelState, 'openConnection' | 'recordConnections'>

/**
 * How long after a failed count the counts of the addresses it touched
 * are sent again
 */
const RESYNC_MS = 1000

/**
 * Who may open a connection, checked in Pusher's order: the app key, a
 * server not shutting down, the browser's Origin, the total capacity and
 * the cap per client address, first on this node, then on every node
 * together (the cluster's state). Counts the open sockets of each address.
 *
 * When the cluster does not answer (Redis down, or over its timeout), the
 * socket is admitted on this node's counts alone: Redis being away must
 * not close the app to everyone. The first failure of a run is reported;
 * the counts it touched are sent again a second later, until they land.
 */
export class Admission {
  /**
   * Refuses everyone while the server shuts down
   */
  closing = false
  #perAddress = new Map<string, number>()
  /**
   * Sockets waiting for the cluster's answer: they count for the capacity
   */
  #waiting = 0
  /**
   * Addresses whose count the cluster may not have (a call failed)
   */
  #unsynced = new Set<string>()
  #resync?: NodeJS.Timeout
  #failing = false

  constructor(
    protected key: string,
    protected limits: ServerLimits,
    protected originAllowed: OriginCheck,
    /**
     * The cluster's counts, once this node has joined it
     */
    protected cluster: () => AddressCounts | undefined = () => undefined,
    protected report: (error: unknown, where: string) => void = () => {}
  ) {}

  /**
   * Why the connection is refused by this node's counts, or undefined
   * when it may be admitted
   */
  refusal(key: string, req: IncomingMessage, open: number, address: string): Refusal | undefined {
    if (key !== this.key) {
      return [CloseCode.APP_NOT_FOUND, `Application does not exist: "${key.slice(0, 50)}"`]
    }
    if (this.closing) return [CloseCode.RECONNECT, 'Server shutting down']
    const origin = originHeader(req)
    if (!this.originAllowed(origin)) {
      // 4009 as Reverb: pusher-js stops instead of retrying forever
      return [CloseCode.UNAUTHORIZED, `Origin not allowed: "${origin?.slice(0, 100)}"`]
    }
    if (open + this.#waiting >= this.limits.maxConnections) {
      return [CloseCode.OVER_CAPACITY, 'Over capacity']
    }
    const perIp = this.limits.maxConnectionsPerIp
    if (perIp > 0 && (this.#perAddress.get(address) ?? 0) >= perIp) return this.#overPerIp()
    return undefined
  }

  /**
   * Counts a socket the node's counts admit (see refusal) under its
   * address, then asks the cluster when the cap per address is on: the
   * refusal, or undefined when admitted, at once or later. A refused
   * socket is no longer counted; an admitted one is until closed().
   */
  admit(address: string): Refusal | undefined | Promise<Refusal | undefined> {
    const count = this.#add(address, 1)
    const perIp = this.limits.maxConnectionsPerIp
    const cluster = perIp > 0 ? this.cluster() : undefined
    if (!cluster) return undefined
    let answer: boolean | Promise<boolean>
    try {
      answer = cluster.openConnection(address, count, perIp)
    } catch (error) {
      answer = Promise.reject(error)
    }
    if (typeof answer === 'boolean') return this.#decided(address, answer)
    this.#waiting++
    return answer
      .then(
        (admitted) => {
          this.#failing = false
          return admitted
        },
        (error) => {
          // Admitted on this node's counts: the cluster gets them later
          this.#failed(error, address)
          return true
        }
      )
      .then((admitted) => this.#decided(address, admitted))
      .finally(() => this.#waiting--)
  }

  /**
   * A counted socket closed (or went before it was served)
   */
  closed(address: string) {
    const count = this.#add(address, -1)
    if (this.limits.maxConnectionsPerIp > 0) this.#record(address, count)
  }

  /**
   * Admits again from nothing (the server starts again)
   */
  reopen() {
    this.closing = false
    this.#perAddress.clear()
    this.#unsynced.clear()
    clearTimeout(this.#resync)
    this.#resync = undefined
    this.#failing = false
  }

  #decided(address: string, admitted: boolean): Refusal | undefined {
    if (admitted) return undefined
    // The cluster holds this node's count without it already
    this.#add(address, -1)
    return this.#overPerIp()
  }

  #overPerIp(): Refusal {
    const perIp = this.limits.maxConnectionsPerIp
    return [CloseCode.OVER_CAPACITY, `Over capacity: ${perIp} connections from one address`]
  }

  /**
   * This node's sockets from the address, changed by "delta"
   */
  #add(address: string, delta: number) {
    const count = (this.#perAddress.get(address) ?? 0) + delta
    if (count > 0) this.#perAddress.set(address, count)
    else this.#perAddress.delete(address)
    return Math.max(0, count)
  }

  /**
   * Tells the cluster this node's count of the address
   */
  #record(address: string, count: number) {
    const cluster = this.cluster()
    if (!cluster) return
    try {
      const recorded = cluster.recordConnections(address, count)
      if (recorded) recorded.catch((error) => this.#failed(error, address))
    } catch (error) {
      this.#failed(error, address)
    }
  }

  #failed(error: unknown, address: string) {
    if (!this.#failing) {
      this.#failing = true
      this.report(error, 'counting connections per address across the cluster')
    }
    this.#unsynced.add(address)
    this.#resync ??= setTimeout(() => {
      this.#resync = undefined
      const addresses = [...this.#unsynced]
      this.#unsynced.clear()
      for (const unsynced of addresses) this.#record(unsynced, this.#perAddress.get(unsynced) ?? 0)
    }, RESYNC_MS).unref()
  }
}

/**
 * The Origin of an upgrade ("Sec-WebSocket-Origin" in protocol version 8)
 */
function originHeader(req: IncomingMessage): string | undefined {
  const origin = req.headers.origin ?? req.headers['sec-websocket-origin']
  return typeof origin === 'string' ? origin : undefined
}
