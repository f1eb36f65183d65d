import type { IncomingMessage } from 'node:http'
import type { ServerLimits } from '../limits.ts'
import { Refusal } from '../refusal.ts'

/**
 * Reads request bodies within the server's limits: the declared size is
 * checked before reading (413), a bounded number are read at once (503)
 * and each within a deadline (408). An outsider cannot hold memory or
 * connections past them.
 */
export class RequestBodies {
  #reading = 0

  constructor(protected host: { readonly limits: ServerLimits }) {}

  /**
   * Whether the request comes with a body; 413 when its Content-Length is
   * over maxRequestBytes, before a byte of it is read
   */
  announced(req: IncomingMessage): boolean {
    const limits = this.host.limits
    const declared = req.headers['content-length']
    const chunked = req.headers['transfer-encoding'] !== undefined
    if (!chunked && (declared === undefined || Number(declared) === 0)) return false
    if (declared !== undefined && Number(declared) > limits.maxRequestBytes) {
      throw new Refusal(
        413,
        `Request body of ${declared} bytes, the limit is ${limits.maxRequestBytes} (maxRequestBytes)`
      )
    }
    return true
  }

  /**
   * The raw body, unless maxConcurrentRequestBodies are being read already
   * (503: the client may retry)
   */
  async read(req: IncomingMessage): Promise<Buffer> {
    const limits = this.host.limits
    if (this.#reading >= limits.maxConcurrentRequestBodies) {
      throw new Refusal(
        503,
        `Too many request bodies being read at once (maxConcurrentRequestBodies: ${limits.maxConcurrentRequestBodies}); retry later`,
        { 'retry-after': '1' }
      )
    }

    this.#reading++
    try {
      return await readBody(req, limits.maxRequestBytes, limits.requestBodyTimeout)
    } finally {
      this.#reading--
    }
  }
}

/**
 * The raw body: 413 past the limit without buffering the rest, 408 when
 * it has not ended within "timeoutSeconds", 400 when the connection closes
 * first. The socket's "close" is watched, not the request's: a request
 * answered early (401, 503 on shutdown) is detached from its socket and
 * never closes itself.
 */
function readBody(req: IncomingMessage, limit: number, timeoutSeconds: number) {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = req.socket
    let size = 0
    const finish = (error?: Refusal) => {
      clearTimeout(timer)
      req.off('data', onData)
      req.off('end', onEnd)
      socket.off('close', onClose)
      if (error) reject(error)
      else resolve(Buffer.concat(chunks))
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) finish(new Refusal(413, `Request body over ${limit} bytes`))
      else chunks.push(chunk)
    }
    const onEnd = () => finish()
    const onClose = () => finish(new Refusal(400, 'The connection closed before the body ended'))
    const timer = setTimeout(
      () =>
        finish(
          new Refusal(
            408,
            `The request body did not arrive within ${timeoutSeconds} s (requestBodyTimeout)`
          )
        ),
      timeoutSeconds * 1000
    ).unref()
    // An abort is also reported by "close"; an "error" without a listener would throw
    req.on('error', () => {})
    req.on('data', onData)
    req.on('end', onEnd)
    socket.once('close', onClose)
  })
}
