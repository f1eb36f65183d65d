import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ServerEvents } from '../server_events.ts'
import { Refusal } from '../refusal.ts'
import type { HttpApiHost } from './endpoint.ts'
import { RequestBodies } from './request_body.ts'
import { decode, parseQuery, type Query, safeDecode, splitUrl } from './request_url.ts'
import { routes } from './routes.ts'
import { requireBodyMd5, verifyBodyMd5, verifySignature } from './signature.ts'

const API_PREFIX = '/apps/'
const EMPTY = Buffer.alloc(0)

/**
 * The Pusher HTTP API's front door: routes a request, checks it and
 * answers it with what its endpoint returns. Every request is signed:
 * auth_key, auth_version 1.0, a timestamp within 600 s, the HMAC compared
 * in constant time, and body_md5 of the raw body. The signature covers the
 * query (body_md5 included), so it is checked before a byte of the body is
 * read: an unsigned upload never holds a connection.
 */
export class HttpApi {
  /**
   * Requests being answered, so shutdown can answer the stalled ones
   */
  #inFlight = new Map<ServerResponse, IncomingMessage>()
  #bodies: RequestBodies

  constructor(
    protected host: HttpApiHost,
    protected events: ServerEvents
  ) {
    this.#bodies = new RequestBodies(host)
  }

  /**
   * Whether a request is for the API, mounted under "/apps/<appId>/" only:
   * any other "/apps/..." URL is the app's. Checked before the app sees
   * the request; never throws.
   */
  matches(req: IncomingMessage) {
    const url = req.url
    if (typeof url !== 'string' || !url.startsWith(API_PREFIX)) return false
    const { path } = splitUrl(url)
    const segmentEnd = path.indexOf('/', API_PREFIX.length)
    if (segmentEnd === -1) return false
    return safeDecode(path.slice(API_PREFIX.length, segmentEnd)) === this.host.appId
  }

  /**
   * Answers one request; never rejects
   */
  async handle(req: IncomingMessage, res: ServerResponse) {
    this.#inFlight.set(res, req)
    res.once('close', () => this.#inFlight.delete(res))
    let status = 200
    try {
      const body = await this.#dispatch(req)
      respond(req, res, 200, body)
    } catch (error) {
      if (error instanceof Refusal) {
        status = error.status
        respond(req, res, error.status, { error: error.message }, error.headers)
      } else {
        status = 500
        respond(req, res, 500, { error: 'Internal error' })
      }
    }
    if (this.events.has('apiRequest')) this.events.emit('apiRequest', endpointOf(req), status)
  }

  /**
   * Answers every request still in flight with 503 and closes its
   * connection: a stalled upload must not keep the HTTP server open
   */
  close() {
    for (const [res, req] of this.#inFlight) {
      respond(req, res, 503, { error: 'Server shutting down' })
    }
    this.#inFlight.clear()
  }

  /**
   * The checks in a fixed order, which decides the answer to a request
   * wrong in several ways: route (404), app (404), signature (401), method
   * (405), path segments (400), then the body
   */
  async #dispatch(req: IncomingMessage): Promise<unknown> {
    const { path, search } = splitUrl(req.url ?? '/')
    const query = parseQuery(search)
    const method = (req.method ?? 'GET').toUpperCase()
    const route = routes.match(method, path)
    if (!route) throw new Refusal(404, `Not found: ${req.method} ${path.slice(0, 200)}`)
    if (decode(route.params.appId) !== this.host.appId) throw new Refusal(404, 'Unknown app')
    await this.host.ready()

    // Everything the query and headers can decide is decided before the body
    verifySignature(this.host, method, path, query)
    if (!route.handler) throw new Refusal(405, `${method} is not allowed on ${path}`)
    const params: Record<string, string> = {}
    for (const [name, value] of Object.entries(route.params)) params[name] = decode(value)
    const body = await this.#body(req, query)
    return route.handler(this.host, { query, params, body })
  }

  /**
   * The raw body of a signed request: its declared size checked first
   * (413), body_md5 required (401), a bounded number read at once (503),
   * within a deadline (408), then its MD5 against the signed body_md5 (401)
   */
  async #body(req: IncomingMessage, query: Query): Promise<Buffer> {
    if (!this.#bodies.announced(req)) return EMPTY
    requireBodyMd5(query)
    const raw = await this.#bodies.read(req)
    verifyBodyMd5(query, raw)
    return raw
  }
}

/**
 * The endpoint of an API request, one of a fixed set (a metric label)
 */
function endpointOf(req: IncomingMessage): string {
  const { path } = splitUrl(req.url ?? '')
  return routes.match((req.method ?? 'GET').toUpperCase(), path)?.endpoint ?? 'unknown'
}

/**
 * Sends a JSON answer once. A request whose body was not read to its end
 * gets "connection: close", so its socket is released, not drained.
 */
function respond(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {}
) {
  if (res.headersSent || res.writableEnded || res.destroyed) return
  const json = JSON.stringify(body)
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(json),
    ...(req.complete ? {} : { connection: 'close' }),
  })
  res.end(json)
}
