import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ServerLimits } from './limits.ts'
import type { ServerAdapter } from './adapter.ts'
import { channelNameProblem } from './channel_rules.ts'
import { hexEquals, hmacHex, md5Hex } from './signatures.ts'
import { SOCKET_ID_PATTERN } from '../socket_id.ts'

const ROUTE =
  /^\/apps\/([^/]+)\/(events|batch_events|channels|channels\/([^/]+)|channels\/([^/]+)\/users|users\/([^/]+)\/terminate_connections)$/
const TIMESTAMP_WINDOW_SECONDS = 600

/**
 * An error answered with a status and a JSON body
 */
class HttpError {
  constructor(
    readonly status: number,
    readonly message: string
  ) {}
}

/**
 * What the HTTP API needs from the server
 */
export interface HttpApiHost {
  appId: string
  key: string
  secret: string
  limits: ServerLimits
  adapter: ServerAdapter
  publish(channels: string[], event: string, data: string, exceptSocketId?: string): void
  terminateUserConnections(userId: string): Promise<void>
}

type Query = Record<string, string>

/**
 * The Pusher HTTP API at the paths the "pusher" SDK uses. Every request is
 * signed: auth_key, auth_version 1.0, a timestamp within 600 s, body_md5 of
 * the raw body, and the HMAC compared in constant time.
 */
export class HttpApi {
  constructor(protected host: HttpApiHost) {}

  /**
   * Whether a request is for the API: checked before the app sees it
   */
  matches(req: IncomingMessage) {
    return req.url?.startsWith('/apps/') === true
  }

  async handle(req: IncomingMessage, res: ServerResponse) {
    try {
      const body = await this.#dispatch(req)
      respond(res, 200, body)
    } catch (error) {
      if (error instanceof HttpError) {
        respond(res, error.status, { error: error.message })
      } else {
        respond(res, 500, { error: 'Internal error' })
      }
    }
  }

  async #dispatch(req: IncomingMessage): Promise<unknown> {
    const url = req.url ?? '/'
    const queryStart = url.indexOf('?')
    const path = queryStart === -1 ? url : url.slice(0, queryStart)
    const query = parseQuery(queryStart === -1 ? '' : url.slice(queryStart + 1))
    const route = ROUTE.exec(path)
    if (!route) throw new HttpError(404, 'Not found')
    if (decode(route[1]) !== this.host.appId) throw new HttpError(404, `Unknown app "${route[1]}"`)

    const method = req.method ?? 'GET'
    const raw = await readBody(req, this.host.limits.maxRequestBytes)
    this.#verify(method, path, query, raw)

    const [, , action, channel, usersChannel, userId] = route
    if (action === 'events' && method === 'POST') return this.#events(parseJson(raw))
    if (action === 'batch_events' && method === 'POST') return this.#batch(parseJson(raw))
    if (action === 'channels' && method === 'GET') return this.#channels(query)
    if (channel && method === 'GET') return this.#channel(decode(channel), query)
    if (usersChannel && method === 'GET') return this.#users(decode(usersChannel))
    if (userId && method === 'POST') {
      await this.host.terminateUserConnections(decode(userId))
      return {}
    }
    throw new HttpError(405, `${method} is not allowed on ${path}`)
  }

  /**
   * Pusher's request signature (docs "Authentication")
   */
  #verify(method: string, path: string, query: Query, raw: Buffer) {
    if (query.auth_key !== this.host.key) throw new HttpError(401, 'Unknown auth_key')
    if (query.auth_version !== '1.0') throw new HttpError(401, 'auth_version must be 1.0')

    const timestamp = Number(query.auth_timestamp)
    const now = Math.floor(Date.now() / 1000)
    if (!Number.isFinite(timestamp) || Math.abs(now - timestamp) > TIMESTAMP_WINDOW_SECONDS) {
      throw new HttpError(
        401,
        `Timestamp expired: Given timestamp (${query.auth_timestamp}) not within ${TIMESTAMP_WINDOW_SECONDS}s of server time (${now})`
      )
    }
    if (raw.length > 0 && !hexEquals(query.body_md5, md5Hex(raw))) {
      throw new HttpError(401, 'body_md5 does not match the body')
    }

    const signed = Object.keys(query)
      .filter((key) => key !== 'auth_signature')
      .sort()
      .map((key) => `${key}=${query[key]}`)
      .join('&')
    const expected = hmacHex(this.host.secret, `${method.toUpperCase()}\n${path}\n${signed}`)
    if (!hexEquals(query.auth_signature, expected)) {
      throw new HttpError(401, 'Invalid signature')
    }
  }

  #events(body: Record<string, unknown>) {
    const channels = Array.isArray(body.channels)
      ? body.channels
      : body.channel !== undefined
        ? [body.channel]
        : []
    const event = this.#event({ ...body, channels })
    this.host.publish(event.channels, event.name, event.data, event.socketId)
    return this.#info(event.channels, body.info)
  }

  async #batch(body: Record<string, unknown>) {
    const batch = body.batch
    if (!Array.isArray(batch) || batch.length === 0)
      throw new HttpError(400, '"batch" must be a non-empty array')
    if (batch.length > this.host.limits.maxBatchSize) {
      throw new HttpError(
        400,
        `Batch too large: ${batch.length} events, the limit is ${this.host.limits.maxBatchSize}`
      )
    }
    // All items are checked before any is published: a bad batch sends nothing
    const events = batch.map((item) => {
      if (typeof item !== 'object' || item === null)
        throw new HttpError(400, 'Each batch item must be an object')
      return this.#event({ ...item, channels: [item.channel] })
    })
    for (const event of events)
      this.host.publish(event.channels, event.name, event.data, event.socketId)

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
      throw new HttpError(400, '"name" must be a string of 1 to 200 characters')
    }
    if (typeof data !== 'string') throw new HttpError(400, '"data" must be a string')
    const size = Buffer.byteLength(data)
    if (size > limits.maxEventBytes) {
      throw new HttpError(413, `Event data is ${size} bytes, the limit is ${limits.maxEventBytes}`)
    }
    if (!Array.isArray(channels) || channels.length === 0)
      throw new HttpError(400, '"channels" must be a non-empty array')
    if (channels.length > limits.maxChannelsPerEvent) {
      throw new HttpError(
        400,
        `Too many channels: ${channels.length}, the limit is ${limits.maxChannelsPerEvent}`
      )
    }
    for (const channel of channels) {
      const problem = channelNameProblem(channel)
      if (problem) throw new HttpError(400, problem)
    }
    if (
      socketId !== undefined &&
      (typeof socketId !== 'string' || !SOCKET_ID_PATTERN.test(socketId))
    ) {
      throw new HttpError(400, 'Invalid socket_id')
    }
    return { name, data, channels: channels as string[], socketId: socketId as string | undefined }
  }

  /**
   * The "info" attributes of a publish answer
   */
  async #info(channels: string[], info: unknown): Promise<{ channels?: Record<string, unknown> }> {
    if (typeof info !== 'string' || info.length === 0) return {}
    const attributes = info.split(',')
    const result: Record<string, unknown> = {}
    for (const channel of channels) {
      const stats = await this.host.adapter.channel(channel)
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
        throw new HttpError(400, `Unsupported info attribute "${attribute}"`)
      if (!prefix.startsWith('presence-')) {
        throw new HttpError(400, 'info=user_count requires filter_by_prefix=presence-')
      }
    }
    const channels: Record<string, Record<string, number>> = {}
    for (const [name, stats] of await this.host.adapter.channels()) {
      if (!name.startsWith(prefix) || name.startsWith('#')) continue
      channels[name] = attributes.includes('user_count') ? { user_count: stats.userCount ?? 0 } : {}
    }
    return { channels }
  }

  async #channel(name: string, query: Query) {
    const problem = channelNameProblem(name)
    if (problem) throw new HttpError(400, problem)
    const presence = name.startsWith('presence-')
    const attributes = query.info ? query.info.split(',') : []
    const stats = await this.host.adapter.channel(name)
    const result: Record<string, unknown> = { occupied: stats.subscriptionCount > 0 }
    for (const attribute of attributes) {
      if (attribute === 'user_count' && presence) result.user_count = stats.userCount ?? 0
      else if (attribute === 'subscription_count')
        result.subscription_count = stats.subscriptionCount
      else throw new HttpError(400, `Unsupported info attribute "${attribute}" for "${name}"`)
    }
    return result
  }

  async #users(name: string) {
    if (!name.startsWith('presence-'))
      throw new HttpError(400, 'Users are only available for presence channels')
    const members = await this.host.adapter.members(name)
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
  try {
    return decodeURIComponent(value)
  } catch {
    throw new HttpError(400, 'Malformed percent-encoding')
  }
}

function parseJson(raw: Buffer): Record<string, unknown> {
  try {
    const value = JSON.parse(raw.toString('utf8'))
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value
  } catch {}
  throw new HttpError(400, 'The body must be a JSON object')
}

/**
 * The raw body, refused with 413 past the limit without buffering the rest
 */
function readBody(req: IncomingMessage, limit: number) {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        req.removeAllListeners('data')
        req.resume()
        reject(new HttpError(413, `Request body over ${limit} bytes`))
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function respond(res: ServerResponse, status: number, body: unknown) {
  const json = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(json),
  })
  res.end(json)
}
