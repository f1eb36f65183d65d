import { STATUS_CODES, type IncomingMessage } from 'node:http'
import debug from '../debug.ts'
import type { Duplex } from 'node:stream'
import type { WebSocket } from 'ws'
import { closeReason, errorFrame } from '../protocol.ts'

/**
 * The app key of an upgrade to "<prefix>/app/<key>[?query]": undefined when
 * the path is not the server's, null when the key is not valid
 * percent-encoding (decodeURIComponent would throw, inside a listener)
 */
export function upgradeKey(url: string, prefix: string): string | null | undefined {
  const path = url.split('?', 1)[0]
  const start = `${prefix}/app/`
  if (!path.startsWith(start)) return undefined
  try {
    return decodeURIComponent(path.slice(start.length))
  } catch {
    return null
  }
}

/**
 * Answers an upgrade with a plain HTTP error and closes the socket, as "ws"
 * does for a bad handshake: nothing is allocated for it
 */
export function rejectUpgrade(socket: Duplex, status: number, message: string) {
  // Node removed its own error listener when it handed the socket over
  socket.on('error', () => socket.destroy())
  if (!socket.writable) {
    socket.destroy()
    return
  }
  const body = `${message}\n`
  socket.once('finish', () => socket.destroy())
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  )
}

/**
 * Finds a client's address in its upgrade request (see the server's
 * "clientAddress" option)
 */
export type ClientAddress = (req: IncomingMessage) => string | undefined

/**
 * The longest address taken from "clientAddress": an IPv6 address with a
 * zone fits; anything longer is not an address
 */
const MAX_ADDRESS_LENGTH = 64

/**
 * The client's address, IPv4-mapped IPv6 addresses folded to IPv4 so one
 * client counts once: what "resolve" finds (behind a trusted proxy, the
 * forwarded one), else the TCP peer. A resolver that throws or returns
 * no address falls back to the peer: it runs on what outsiders send.
 */
export function clientAddress(req: IncomingMessage, resolve?: ClientAddress): string {
  let address: unknown
  if (resolve) {
    try {
      address = resolve(req)
    } catch (error) {
      debug('broadcast server: "clientAddress" failed, using the peer: %O', error)
    }
  }
  if (typeof address !== 'string' || !address || address.length > MAX_ADDRESS_LENGTH) {
    address = req.socket.remoteAddress ?? 'unknown'
  }
  const found = address as string
  return found.startsWith('::ffff:') ? found.slice(7) : found
}

/**
 * Refuses a connection as Pusher does: "pusher:error" then the same close
 * code
 */
export function refuse(ws: WebSocket, code: number, message: string) {
  ws.send(errorFrame(code, message))
  ws.close(code, closeReason(message))
}
