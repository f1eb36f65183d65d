import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'

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
 * The client's address as the socket sees it, IPv4-mapped IPv6 addresses
 * folded to IPv4 so one client counts once. Behind a proxy this is the
 * proxy's address.
 */
export function remoteAddress(socket: { remoteAddress?: string }): string {
  const address = socket.remoteAddress ?? 'unknown'
  return address.startsWith('::ffff:') ? address.slice(7) : address
}
