import Pusher from 'pusher'
import { E_INVALID_WEBHOOK, E_WEBHOOK_TOO_LARGE } from '../errors.ts'
import { LIFECYCLE_EVENT_NAMES } from '@adonisjs-broadcasting/engine/rules'
import { type LifecycleEvent, type LifecycleEventName } from '@adonisjs-broadcasting/engine'
import type { PusherCredentials } from '../drivers/types.ts'

/**
 * The largest webhook body accepted, in bytes. Pusher sends one event a
 * request, or a small batch: anything near this is not Pusher. The app's
 * bodyparser refuses a larger JSON body first with its own 413 ("json.limit"
 * in "config/bodyparser.ts", 1 MB by default); this bound holds when an app
 * raises that limit.
 */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024

/**
 * A webhook request as received: its headers (any case) and its body
 * exactly as sent, before any JSON parsing
 */
export interface IncomingWebhookRequest {
  headers: Record<string, string | string[] | undefined>
  rawBody: string | null | undefined
}

/**
 * A verified webhook: its lifecycle events in Pusher's order, and the names
 * of the events this package does not know (not emitted)
 */
export interface VerifiedWebhook {
  timeMs: number
  events: LifecycleEvent[]
  ignored: string[]
  /**
   * X-Pusher-Signature, which identifies the batch (the same body signs
   * the same)
   */
  signature: string
}

const KNOWN_EVENTS = new Set<string>(LIFECYCLE_EVENT_NAMES)

/**
 * One SDK instance per credentials, used only for "webhook()"
 */
const verifiers = new WeakMap<PusherCredentials, Pusher>()

function verifier(credentials: PusherCredentials) {
  let pusher = verifiers.get(credentials)
  if (!pusher) {
    pusher = new Pusher({
      appId: credentials.appId,
      key: credentials.key,
      secret: credentials.secret,
      cluster: 'mt1',
    })
    verifiers.set(credentials, pusher)
  }
  return pusher
}

/**
 * A header value for a message: quoted, and cut short, since it comes from
 * the request
 */
function quote(value: string) {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value)
}

function lowerCaseHeaders(headers: IncomingWebhookRequest['headers']) {
  const lowered: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    lowered[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
  }
  return lowered
}

/**
 * The SDK accepts exactly "application/json", which Pusher sends. A UTF-8
 * charset parameter (added by a proxy, curl or a replay tool) is accepted
 * and removed before the SDK sees it: the header is not signed, so being
 * strict about it protects nothing; the signature over the raw body is
 * what authenticates the request. Another media type or charset is
 * refused.
 */
function normalizeContentType(value: string | undefined): 'application/json' {
  if (!value) {
    throw new E_INVALID_WEBHOOK(['no Content-Type header: Pusher sends "application/json"'])
  }
  const [type, ...parameters] = value.split(';').map((part) => part.trim().toLowerCase())
  if (type !== 'application/json') {
    throw new E_INVALID_WEBHOOK([
      `the Content-Type is ${quote(value)}: Pusher sends "application/json"`,
    ])
  }
  for (const parameter of parameters) {
    const [name, charset = ''] = parameter.split('=').map((part) => part.trim())
    if (name === 'charset' && !['utf-8', 'utf8'].includes(charset.replace(/"/g, ''))) {
      throw new E_INVALID_WEBHOOK([
        `the Content-Type is ${quote(value)}: only UTF-8 JSON is accepted, as Pusher sends`,
      ])
    }
  }
  return 'application/json'
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * One event of the body as a lifecycle event, holding only the fields its
 * type declares. Throws when a field the type requires is missing.
 */
function lifecycleEvent(
  name: LifecycleEventName,
  event: Record<string, unknown>,
  index: number
): LifecycleEvent {
  const invalid = (field: string, expected: string) =>
    new E_INVALID_WEBHOOK([
      `events[${index}] ("${name}") has no ${expected} "${field}": the body is not one Pusher sends`,
    ])
  const string = (field: string) => {
    const value = event[field]
    if (typeof value !== 'string') throw invalid(field, 'string')
    return value
  }
  /**
   * Pusher sends user ids as strings; a number is taken as its string
   */
  const userId = (field: string) => {
    const value = event[field]
    if (typeof value === 'number' && Number.isFinite(value)) return String(value)
    return string(field)
  }

  const channel = string('channel')
  switch (name) {
    case 'channel_occupied':
    case 'channel_vacated':
    case 'cache_miss':
      return { name, channel }
    case 'member_added':
    case 'member_removed':
      return { name, channel, user_id: userId('user_id') }
    case 'client_event': {
      /**
       * "data" is the string the client sent; any other JSON value is kept
       * as its JSON text, so listeners always get a string
       */
      if (event.data === undefined) throw invalid('data', 'string')
      const data = typeof event.data === 'string' ? event.data : JSON.stringify(event.data)
      return {
        name,
        channel,
        event: string('event'),
        data,
        socket_id: string('socket_id'),
        ...(event.user_id === undefined ? {} : { user_id: userId('user_id') }),
      }
    }
    case 'subscription_count': {
      const count = event.subscription_count
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
        throw invalid('subscription_count', 'integer')
      }
      return { name, channel, subscription_count: count }
    }
    default:
      return name satisfies never
  }
}

/**
 * Pusher's body, `{"time_ms": <number>, "events": [...]}`, as lifecycle
 * events. Events of a name this package does not know are skipped.
 */
function readBody(data: unknown): Omit<VerifiedWebhook, 'signature'> {
  if (!isRecord(data) || !Array.isArray(data.events)) {
    throw new E_INVALID_WEBHOOK([
      'the body has no "events" array: Pusher sends {"time_ms": <number>, "events": [...]}',
    ])
  }
  // 1e400 parses as Infinity: no clock reads it
  if (typeof data.time_ms !== 'number' || !Number.isFinite(data.time_ms)) {
    throw new E_INVALID_WEBHOOK([
      'the body has no numeric "time_ms": Pusher sends {"time_ms": <number>, "events": [...]}',
    ])
  }

  const events: LifecycleEvent[] = []
  const ignored: string[] = []
  data.events.forEach((event: unknown, index: number) => {
    if (!isRecord(event) || typeof event.name !== 'string') {
      throw new E_INVALID_WEBHOOK([`events[${index}] is not an object with a string "name"`])
    }
    if (!KNOWN_EVENTS.has(event.name)) {
      ignored.push(event.name)
      return
    }
    events.push(lifecycleEvent(event.name as LifecycleEventName, event, index))
  })
  return { timeMs: data.time_ms, events, ignored }
}

/**
 * Verifies a webhook with the "pusher" SDK's own helper, built from the
 * credentials of the connection named "connection": the key must match,
 * and "X-Pusher-Signature" must be the HMAC-SHA256 (hex) of the raw body
 * with the secret (compared in constant time by the SDK). Throws
 * E_INVALID_WEBHOOK (401) or E_WEBHOOK_TOO_LARGE (413) with the reason.
 */
export function verifyWebhook(
  request: IncomingWebhookRequest,
  credentials: PusherCredentials,
  connection: string
): VerifiedWebhook {
  const rawBody = request.rawBody ?? ''
  const size = Buffer.byteLength(rawBody, 'utf8')
  if (size > MAX_WEBHOOK_BODY_BYTES) {
    throw new E_WEBHOOK_TOO_LARGE([size, MAX_WEBHOOK_BODY_BYTES])
  }

  const headers = lowerCaseHeaders(request.headers)
  const contentType = normalizeContentType(headers['content-type'])
  if (!rawBody) {
    throw new E_INVALID_WEBHOOK([
      'the body is empty: Pusher sends {"time_ms": <number>, "events": [...]}',
    ])
  }

  const key = headers['x-pusher-key']
  if (!key) {
    throw new E_INVALID_WEBHOOK(['no X-Pusher-Key header'])
  }
  /**
   * Checked here: the SDK's comparison throws on a missing signature
   */
  if (!headers['x-pusher-signature']) {
    throw new E_INVALID_WEBHOOK(['no X-Pusher-Signature header'])
  }
  if (key !== credentials.key) {
    throw new E_INVALID_WEBHOOK([
      `X-Pusher-Key ${quote(key)} is not the key of the "${connection}" connection: point the Pusher app's webhook at this route, or set "incomingWebhooks.connection" to the connection holding its key and secret`,
    ])
  }

  const webhook = verifier(credentials).webhook({
    headers: { ...headers, 'content-type': contentType },
    rawBody,
  })
  if (!webhook.isBodyValid()) {
    throw new E_INVALID_WEBHOOK(['the body is not JSON'])
  }
  if (!webhook.isValid()) {
    throw new E_INVALID_WEBHOOK([
      `X-Pusher-Signature does not match the body: check that the "${connection}" connection's secret is the Pusher app's secret, and that nothing (a proxy, a middleware) rewrote the body`,
    ])
  }
  return { ...readBody(webhook.getData()), signature: headers['x-pusher-signature'] }
}
