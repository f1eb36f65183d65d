import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ServerLimits } from './limits.ts'
import type { ChannelState } from './state/channel_state.ts'
import { channelNameProblem, isCacheChannel } from './channel_rules.ts'
import { hexEquals, hmacHex, md5Hex } from './signatures.ts'
import { SOCKET_ID_PATTERN } from './protocol.ts'
import { Refusal } from './refusal.ts'
import type { ServerMetrics } from './metrics/server_metrics.ts'

const ROUTE =
  /^\/apps\/([^/]+)\/(events|batch_events|channels|channels\/([^/]+)|channels\/([^/]+)\/users|users\/([^/]+)\/terminate_connections)$/
const API_PREFIX = '/apps/'
const TIMESTAMP_WINDOW_SECONDS = 600
const EMPTY = Buffer.alloc(0)

/**
 * What the HTTP API needs from the server
 */
export interface HttpApiHost {
  appId: string
  key: string
  secret: string
  limits: ServerLimits
  /**
   * The cluster's state: answers cover every node
   */
  readonly state: ChannelState
  /**
   * Resolves once the node has joined its cluster (state and bus ready)
   */
  ready(): Promise<unknown>
  /**
   * Delivers here at once; rejects when the other nodes could not be told
   */
  publish(channels: string[], event: string, data: string, exceptSocketId?: string): Promise<void>
  terminateUserConnections(userId: string): Promise<void>
}

type Query = Record<string, string>
type PublishedEvent = { channels: string[]; name: string; data: string; socketId?: string }
type Action = (raw: Buffer) => unknown

/**
 * The Pusher HTTP API at the paths the "pusher" SDK uses. Every request is
 * signed: auth_key, auth_version 1.0, a timestamp within 600 s, the HMAC
 * compared in constant time, and body_md5 of the raw body. The signature
 * covers the query (body_md5 included), so it is checked before a byte of
 * the body is read: an unsigned upload never holds a connection.
 */
export class HttpApi {
  /**
   * Requests being answered, so shutdown can answer the stalled ones
   */
  #inFlight = new Map<ServerResponse, IncomingMessage>()
  #bodiesReading = 0

  constructor(
    protected host: HttpApiHost,
    protected metrics?: ServerMetrics
  ) {}

  /**
   * Whether a request is for the API, mounted under "/apps/<appId>/" only:
   * any other "/apps/..." URL is the app's. Checked before the app sees
   * the request; never throws.
   */
  matches(req: IncomingMessage) {
    const url = req.url
    if (typeof url !== 'string' || !url.startsWith(API_PREFIX)) return false
    const queryStart = url.indexOf('?')
    const path = queryStart === -1 ? url : url.slice(0, queryStart)
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
    this.metrics?.apiRequest?.(endpointOf(req.url), status)
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

  async #dispatch(req: IncomingMessage): Promise<unknown> {
    const url = req.url ?? '/'
    const queryStart = url.indexOf('?')
    const path = queryStart === -1 ? url : url.slice(0, queryStart)
    const query = parseQuery(queryStart === -1 ? '' : url.slice(queryStart + 1))
    const route = ROUTE.exec(path)
    if (!route) throw new Refusal(404, `Not found: ${req.method} ${path.slice(0, 200)}`)
    if (decode(route[1]) !== this.host.appId) throw new Refusal(404, 'Unknown app')
    await this.host.ready()

    // Everything the query and headers can decide is decided before the body
    const method = (req.method ?? 'GET').toUpperCase()
    this.#verify(method, path, query)
    const action = this.#action(method, path, route, query)
    const raw = await this.#body(req, query)
    return action(raw)
  }

  /**
   * What the route does, refused with 405 for another method
   */
  #action(method: string, path: string, route: RegExpExecArray, query: Query): Action {
    const [, , action, channel, usersChannel, userId] = route
    if (action === 'events' && method === 'POST') return (raw) => this.#events(parseJson(raw))
    if (action === 'batch_events' && method === 'POST') return (raw) => this.#batch(parseJson(raw))
    if (action === 'channels' && method === 'GET') return () => this.#channels(query)
    if (channel && method === 'GET') {
      const name = decode(channel)
      return () => this.#channel(name, query)
    }
    if (usersChannel && method === 'GET') {
      const name = decode(usersChannel)
      return () => this.#users(name)
    }
    if (userId && method === 'POST') {
      const id = decode(userId)
      return async () => {
        await this.host.terminateUserConnections(id)
        return {}
      }
    }
    throw new Refusal(405, `${method} is not allowed on ${path}`)
  }

  /**
   * Pusher's request signature (docs "Authentication"), from the query
   * alone: body_md5 is one of the signed parameters
   */
  #verify(method: string, path: string, query: Query) {
    if (query.auth_key !== this.host.key) throw new Refusal(401, 'Unknown auth_key')
    if (query.auth_version !== '1.0') throw new Refusal(401, 'auth_version must be 1.0')

    const timestamp = Number(query.auth_timestamp)
    const now = Math.floor(Date.now() / 1000)
    if (!Number.isFinite(timestamp) || Math.abs(now - timestamp) > TIMESTAMP_WINDOW_SECONDS) {
      throw new Refusal(
        401,
        `Timestamp expired: Given timestamp (${query.auth_timestamp}) not within ${TIMESTAMP_WINDOW_SECONDS}s of server time (${now})`
      )
    }

    const signed = Object.keys(query)
      .filter((key) => key !== 'auth_signature')
      .sort()
      .map((key) => `${key}=${query[key]}`)
      .join('&')
    const expected = hmacHex(this.host.secret, `${method}\n${path}\n${signed}`)
    if (!hexEquals(query.auth_signature, expected)) {
      throw new Refusal(
        401,
        `Invalid signature: expected the HMAC-SHA256 hex of "${method}\\n${path}\\n${signed}" with the app secret`
      )
    }
  }

  /**
   * The raw body of a signed request: its declared size checked first
   * (413), a bounded number read at once (503), within a deadline (408),
   * then its MD5 against the signed body_md5 (401)
   */
  async #body(req: IncomingMessage, query: Query): Promise<Buffer> {
    const limits = this.host.limits
    const declared = req.headers['content-length']
    const chunked = req.headers['transfer-encoding'] !== undefined
    if (!chunked && (declared === undefined || Number(declared) === 0)) return EMPTY
    if (declared !== undefined && Number(declared) > limits.maxRequestBytes) {
      throw new Refusal(
        413,
        `Request body of ${declared} bytes, the limit is ${limits.maxRequestBytes} (maxRequestBytes)`
      )
    }
    if (query.body_md5 === undefined) {
      throw new Refusal(401, 'body_md5 is required with a request body')
    }
    if (this.#bodiesReading >= limits.maxConcurrentRequestBodies) {
      throw new Refusal(
        503,
        `Too many request bodies being read at once (maxConcurrentRequestBodies: ${limits.maxConcurrentRequestBodies}); retry later`,
        { 'retry-after': '1' }
      )
    }

    this.#bodiesReading++
    let raw: Buffer
    try {
      raw = await readBody(req, limits.maxRequestBytes, limits.requestBodyTimeout)
    } finally {
      this.#bodiesReading--
    }
    if (raw.length > 0 && !hexEquals(query.body_md5, md5Hex(raw))) {
      throw new Refusal(401, 'body_md5 does not match the body')
    }
    return raw
  }

  /**
   * Publishes checked events. Local sockets have them at once; a bus that
   * failed to tell the other nodes fails the request loudly.
   */
  async #publish(events: PublishedEvent[]) {
    const sent = events.map((event) =>
      this.host.publish(event.channels, event.name, event.data, event.socketId)
    )
    try {
      await Promise.all(sent)
    } catch {
      throw new Refusal(500, 'The event reached this node but could not be relayed to the others')
    }
  }

  async #events(body: Record<string, unknown>) {
    const channels = Array.isArray(body.channels)
      ? body.channels
      : body.channel !== undefined
        ? [body.channel]
        : []
    const event = this.#event({ ...body, channels })
    await this.#publish([event])
    return this.#info(event.channels, body.info)
  }

  async #batch(body: Record<string, unknown>) {
    const batch = body.batch
    if (!Array.isArray(batch) || batch.length === 0)
      throw new Refusal(400, '"batch" must be a non-empty array')
    if (batch.length > this.host.limits.maxBatchSize) {
      throw new Refusal(
        400,
        `Batch too large: ${batch.length} events, the limit is ${this.host.limits.maxBatchSize}`
      )
    }
    // All items are checked before any is published: a bad batch sends nothing
    const events = batch.map((item) => {
      if (typeof item !== 'object' || item === null)
        throw new Refusal(400, 'Each batch item must be an object')
      return this.#event({ ...item, channels: [item.channel] })
    })
    await this.#publish(events)

    if (!batch.some((item) => item.info)) return {}
    return {
      batch: await Promise.all(
        batch.map(async (item, index) => {
          if (!item.info) return {}
          const info = await this.#info(events[index].channels, item.info)
          return info.channels?.[events[index].channels[0]] ?? {}
        })
      ),
    }
  }

  /**
   * Validates one event: name, string data within the size limit, 1 to 100
   * valid channel names, socket id format
   */
  #event(body: Record<string, unknown>) {
    const { name, data, channels, socket_id: socketId } = body
    const limits = this.host.limits
    if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
      throw new Refusal(400, '"name" must be a string of 1 to 200 characters')
    }
    if (typeof data !== 'string') throw new Refusal(400, '"data" must be a string')
    const size = Buffer.byteLength(data)
    if (size > limits.maxEventBytes) {
      throw new Refusal(413, `Event data is ${size} bytes, the limit is ${limits.maxEventBytes}`)
    }
    if (!Array.isArray(channels) || channels.length === 0)
      throw new Refusal(400, '"channels" must be a non-empty array')
    if (channels.length > limits.maxChannelsPerEvent) {
      throw new Refusal(
        400,
        `Too many channels: ${channels.length}, the limit is ${limits.maxChannelsPerEvent}`
      )
    }
    for (const channel of channels) {
      const problem = channelNameProblem(channel)
      if (problem) throw new Refusal(400, problem)
    }
    if (
      socketId !== undefined &&
      (typeof socketId !== 'string' || !SOCKET_ID_PATTERN.test(socketId))
    ) {
      throw new Refusal(400, 'Invalid socket_id')
    }
    // A channel listed twice still gets the event once
    const unique = [...new Set(channels as string[])]
    return { name, data, channels: unique, socketId: socketId as string | undefined }
  }

  /**
   * The "info" attributes of a publish answer
   */
  async #info(channels: string[], info: unknown): Promise<{ channels?: Record<string, unknown> }> {
    if (typeof info !== 'string' || info.length === 0) return {}
    const attributes = info.split(',')
    const result: Record<string, unknown> = {}
    for (const channel of channels) {
      const stats = await this.host.state.channel(channel)
      const entry: Record<string, number> = {}
      if (attributes.includes('subscription_count'))
        entry.subscription_count = stats.subscriptionCount
      if (attributes.includes('user_count') && stats.userCount !== undefined)
        entry.user_count = stats.userCount
      result[channel] = entry
    }
    return { channels: result }
  }

  async #channels(query: Query) {
    const prefix = query.filter_by_prefix ?? ''
    const attributes = query.info ? query.info.split(',') : []
    for (const attribute of attributes) {
      if (attribute !== 'user_count')
        throw new Refusal(400, `Unsupported info attribute "${attribute}"`)
      if (!prefix.startsWith('presence-')) {
        throw new Refusal(400, 'info=user_count requires filter_by_prefix=presence-')
      }
    }
    const channels: Record<string, Record<string, number>> = {}
    for (const [name, stats] of await this.host.state.channels()) {
      if (!name.startsWith(prefix) || name.startsWith('#')) continue
      channels[name] = attributes.includes('user_count') ? { user_count: stats.userCount ?? 0 } : {}
    }
    return { channels }
  }

  async #channel(name: string, query: Query) {
    const problem = channelNameProblem(name)
    if (problem) throw new Refusal(400, problem)
    const presence = name.startsWith('presence-')
    const attributes = query.info ? query.info.split(',') : []
    const stats = await this.host.state.channel(name)
    const result: Record<string, unknown> = { occupied: stats.subscriptionCount > 0 }
    for (const attribute of attributes) {
      if (attribute === 'user_count' && presence) result.user_count = stats.userCount ?? 0
      else if (attribute === 'subscription_count')
        result.subscription_count = stats.subscriptionCount
      else if (attribute === 'cache' && isCacheChannel(name)) result.cache = await this.#cache(name)
      else throw new Refusal(400, `Unsupported info attribute "${attribute}" for "${name}"`)
    }
    return result
  }

  /**
   * "info=cache": the cached event's data and its remaining TTL in
   * seconds, or null when nothing is cached
   */
  async #cache(name: string) {
    const entry = await this.host.state.cachedEvent(name)
    if (!entry) return null
    const ttl = Math.max(1, Math.ceil((entry.expiresAt - Date.now()) / 1000))
    return { data: frameData(entry.frame), ttl }
  }

  async #users(name: string) {
    if (!name.startsWith('presence-'))
      throw new Refusal(400, 'Users are only available for presence channels')
    const members = await this.host.state.members(name)
    return { users: [...members.keys()].map((id) => ({ id })) }
  }
}

/**
 * Query parameters, percent-decoded: the SDK signs raw values such as
 * "info=user_count,subscription_count" ("+" is not a space here)
 */
function parseQuery(search: string): Query {
  const query: Query = {}
  for (const pair of search.split('&')) {
    if (!pair) continue
    const separator = pair.indexOf('=')
    const key = decode(separator === -1 ? pair : pair.slice(0, separator)).toLowerCase()
    query[key] = separator === -1 ? '' : decode(pair.slice(separator + 1))
  }
  return query
}

function decode(value: string) {
  const decoded = safeDecode(value)
  if (decoded === undefined) throw new Refusal(400, 'Malformed percent-encoding')
  return decoded
}

function safeDecode(value: string) {
  try {
    return decodeURIComponent(value)
  } catch {
    return undefined
  }
}

function parseJson(raw: Buffer): Record<string, unknown> {
  try {
    const value = JSON.parse(raw.toString('utf8'))
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value
  } catch {}
  throw new Refusal(400, 'The body must be a JSON object')
}

/**
 * The "data" of a frame we serialized ourselves
 */
function frameData(frame: string): unknown {
  try {
    return JSON.parse(frame).data ?? null
  } catch {
    return null
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

/**
 * Sends a JSON answer once. A request whose body was not read to its end
 * gets "connection: close", so its socket is released, not drained.
 */
/**
 * The endpoint of an API path, one of a fixed set (a metric label)
 */
function endpointOf(url: string | undefined): string {
  const queryStart = url?.indexOf('?') ?? -1
  const route = ROUTE.exec(queryStart === -1 ? (url ?? '') : url!.slice(0, queryStart))
  if (!route) return 'unknown'
  if (route[3] !== undefined) return 'channel'
  if (route[4] !== undefined) return 'channel_users'
  if (route[5] !== undefined) return 'terminate_connections'
  return route[2]
}

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
