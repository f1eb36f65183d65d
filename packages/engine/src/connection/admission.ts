import type { IncomingMessage } from 'node:http'
import type { ServerLimits } from '../limits.ts'
import type { OriginCheck } from './origins.ts'
import { CloseCode } from '../protocol.ts'

/**
 * Why a connection is refused: the close code (sent first as
 * "pusher:error") and the reason
 */
export type Refusal = [code: number, reason: string]

/**
 * Who may open a connection, checked in Pusher's order: the app key, a
 * server not shutting down, the browser's Origin, the total capacity and
 * the cap per client address. Counts the open sockets of each address.
 */
export class Admission {
  /**
   * Refuses everyone while the server shuts down
   */
  closing = false
  #perAddress = new Map<string, number>()

  constructor(
    protected key: string,
    protected limits: ServerLimits,
    protected originAllowed: OriginCheck
  ) {}

  /**
   * Why the connection is refused, or undefined when it is admitted
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
    if (open >= this.limits.maxConnections) return [CloseCode.OVER_CAPACITY, 'Over capacity']
    const perIp = this.limits.maxConnectionsPerIp
    if (perIp > 0 && (this.#perAddress.get(address) ?? 0) >= perIp) {
      return [CloseCode.OVER_CAPACITY, `Over capacity: ${perIp} connections from one address`]
    }
    return undefined
  }

  opened(address: string) {
    this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1)
  }

  closed(address: string) {
    const left = (this.#perAddress.get(address) ?? 1) - 1
    if (left > 0) this.#perAddress.set(address, left)
    else this.#perAddress.delete(address)
  }

  /**
   * Admits again from nothing (the server starts again)
   */
  reopen() {
    this.closing = false
    this.#perAddress.clear()
  }
}

/**
 * The Origin of an upgrade ("Sec-WebSocket-Origin" in protocol version 8)
 */
function originHeader(req: IncomingMessage): string | undefined {
  const origin = req.headers.origin ?? req.headers['sec-websocket-origin']
  return typeof origin === 'string' ? origin : undefined
}
