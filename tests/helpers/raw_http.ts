import { connect } from 'node:net'
import { HOST, port } from './server_clients.ts'

/**
 * What came back for a raw request: the first bytes of the answer (empty
 * when the server closed without a word) and whether it stayed silent
 * until the timeout
 */
export interface RawAnswer {
  head: string
  timedOut: boolean
}

/**
 * Writes bytes as they are to the app's port on a fresh TCP socket, reads
 * the answer for up to "timeoutMs", then destroys the socket. Nothing is
 * validated or encoded, so a test can send what no HTTP client would.
 */
export function rawRequest(
  bytes: string | Buffer,
  { timeoutMs = 500, to = port() }: { timeoutMs?: number; to?: number } = {}
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(to, HOST)
    const chunks: Buffer[] = []
    let done = false
    const finish = (timedOut: boolean) => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resolve({ head: Buffer.concat(chunks).toString('latin1').slice(0, 512), timedOut })
    }
    const timer = setTimeout(() => finish(true), timeoutMs)
    socket.on('connect', () => socket.write(bytes))
    socket.on('data', (chunk) => {
      chunks.push(chunk)
      // The handshake answer is enough; a 101 would otherwise stay open
      if (Buffer.concat(chunks).includes('\r\n\r\n')) finish(false)
    })
    socket.on('error', () => finish(false))
    socket.on('close', () => finish(false))
  })
}

/**
 * An HTTP/1.1 upgrade request to "path", with the headers given (a header
 * set to undefined is left out)
 */
export function upgradeRequest(
  path: string,
  headers: Record<string, string | undefined> = {}
): string {
  const all: Record<string, string | undefined> = {
    'Host': `${HOST}:${port()}`,
    'Upgrade': 'websocket',
    'Connection': 'Upgrade',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version': '13',
    ...headers,
  }
  const lines = Object.entries(all)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name}: ${value}`)
  return `GET ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`
}

/**
 * The status code of a raw answer, or 0 when there was none
 */
export function statusOf(answer: RawAnswer): number {
  const match = /^HTTP\/1\.1 (\d{3})/.exec(answer.head)
  return match ? Number(match[1]) : 0
}
