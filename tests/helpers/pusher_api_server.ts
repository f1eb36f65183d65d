import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface RecordedRequest {
  method: string
  path: string
  query: Record<string, string>
  body: any
}

/**
 * A stand-in for the Pusher HTTP API, for tests: it verifies each request's
 * signature with the app secret exactly as Pusher does (method, path, sorted
 * query without auth_signature, body_md5) and answers 401 when it is wrong.
 * Tests can queue status codes to answer with.
 */
export class PusherApiServer {
  readonly requests: RecordedRequest[] = []
  readonly rejected: Array<{ path: string; reason: string }> = []
  #statuses: number[] = []
  #server?: Server

  static readonly APP_ID = '42'
  static readonly KEY = 'test-key'
  static readonly SECRET = 'test-secret'

  constructor(
    readonly appId = PusherApiServer.APP_ID,
    readonly key = PusherApiServer.KEY,
    readonly secret = PusherApiServer.SECRET
  ) {}

  /**
   * Answer the next requests with these statuses (then 200)
   */
  respondWith(...statuses: number[]) {
    this.#statuses.push(...statuses)
  }

  get port() {
    return (this.#server!.address() as AddressInfo).port
  }

  async start() {
    this.#server = createServer(async (req, res) => {
      const raw = await readBody(req)
      const url = new URL(req.url!, 'http://localhost')
      const query = Object.fromEntries(url.searchParams)
      const problem = this.#verify(req.method!, url.pathname, query, raw)
      if (problem) {
        this.rejected.push({ path: url.pathname, reason: problem })
        res.writeHead(401).end(problem)
        return
      }
      this.requests.push({
        method: req.method!,
        path: url.pathname,
        query,
        body: raw ? JSON.parse(raw) : undefined,
      })
      const status = this.#statuses.shift() ?? 200
      res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(status === 200 ? '{}' : `{"error":"status ${status}"}`)
    })
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve))
    return this
  }

  async close() {
    await new Promise((resolve) => this.#server?.close(resolve))
  }

  #verify(method: string, path: string, query: Record<string, string>, body: string) {
    if (query.auth_key !== this.key) return 'wrong auth_key'
    if (query.auth_version !== '1.0') return 'wrong auth_version'
    if (body && query.body_md5 !== createHash('md5').update(body).digest('hex')) {
      return 'body_md5 mismatch'
    }
    const signed = Object.keys(query)
      .filter((key) => key !== 'auth_signature')
      .sort()
      .map((key) => `${key.toLowerCase()}=${query[key]}`)
      .join('&')
    const expected = createHmac('sha256', this.secret)
      .update([method.toUpperCase(), path, signed].join('\n'))
      .digest()
    const given = Buffer.from(query.auth_signature ?? '', 'hex')
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return 'invalid signature'
    }
    return null
  }
}

function readBody(req: IncomingMessage) {
  return new Promise<string>((resolve) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
  })
}
