import type { Redis } from 'ioredis'
import debug from '../debug.ts'
import type { Bus, BusMessage } from './bus.ts'
import type { ServerEvents } from '../server_events.ts'

export interface RedisBusOptions {
  nodeId: string
  /**
   * Put before the pub/sub channel name. Default "broadcast:"
   */
  prefix?: string
  /**
   * Where a malformed message from the bus is reported. Default:
   * NODE_DEBUG=adonisjs:broadcast output
   */
  logger?: { error(details: object, message: string): void }
}

/**
 * What travels on the Redis channel: the message and the node it came from
 */
interface Envelope {
  origin: string
  message: BusMessage
}

const isString = (value: unknown): value is string => typeof value === 'string'

/**
 * The message, if the JSON is one: another app or version sharing the
 * prefix must not reach the listener with something it cannot handle
 */
export function parseEnvelope(raw: string): Envelope | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined
  const { origin, message } = parsed as Record<string, unknown>
  if (!isString(origin) || typeof message !== 'object' || message === null) return undefined
  const fields = message as Record<string, unknown>
  if (fields.type === 'publish') {
    const { channel, frame, exceptSocketId } = fields
    if (!isString(channel) || !isString(frame)) return undefined
    if (exceptSocketId === undefined)
      return { origin, message: { type: 'publish', channel, frame } }
    if (!isString(exceptSocketId)) return undefined
    return { origin, message: { type: 'publish', channel, frame, exceptSocketId } }
  }
  if (fields.type === 'terminate_user' && isString(fields.userId)) {
    return { origin, message: { type: 'terminate_user', userId: fields.userId } }
  }
  return undefined
}

/**
 * The bus over Redis pub/sub: one channel per app ("<prefix>bus"), a
 * publisher that fails fast when Redis is unreachable, and a subscriber
 * that ioredis resubscribes after a reconnect. Both are duplicates of the
 * given connection, owned by the bus; the given one is never touched.
 */
export class RedisBus implements Bus {
  readonly nodeId: string
  readonly channel: string

  #publisher: Redis
  #subscriber: Redis
  #logger?: RedisBusOptions['logger']
  #closed = false
  #connecting?: Promise<void>
  #events?: ServerEvents

  constructor(connection: Redis, options: RedisBusOptions) {
    this.nodeId = options.nodeId
    this.channel = `${options.prefix ?? 'broadcast:'}bus`
    this.#logger = options.logger
    // No offline queue: while Redis is away a send rejects at once
    this.#publisher = connection.duplicate({ lazyConnect: true, enableOfflineQueue: false })
    this.#subscriber = connection.duplicate({ lazyConnect: true })
    // Reconnect attempts fail while Redis is away: sends report it to the caller
    for (const client of [this.#publisher, this.#subscriber]) {
      client.on('error', (error: Error) => debug('broadcast bus (Redis): %s', error.message))
    }
  }

  /**
   * Both connections ready: the publisher sends and the subscriber hears
   */
  get connected() {
    return this.#publisher.status === 'ready' && this.#subscriber.status === 'ready'
  }

  instrument(events: ServerEvents) {
    this.#events = events
    for (const client of [this.#publisher, this.#subscriber]) {
      client.on('reconnecting', () => events.emit('busReconnected'))
    }
  }

  async start(onMessage: (message: BusMessage) => void): Promise<void> {
    this.#subscriber.on('message', (channel: string, raw: string) => {
      if (channel !== this.channel) return
      const envelope = parseEnvelope(raw)
      if (!envelope) return this.#report({ raw: raw.slice(0, 200) }, 'malformed message dropped')
      if (envelope.origin === this.nodeId) return
      try {
        onMessage(envelope.message)
      } catch (error) {
        this.#report({ err: error }, 'listener failed')
      }
    })
    try {
      await Promise.all([this.#connectPublisher(), this.#subscriber.connect()])
      await this.#subscriber.subscribe(this.channel)
    } catch (error) {
      await this.close()
      throw redisError('start', error)
    }
  }

  async send(message: BusMessage): Promise<void> {
    const envelope: Envelope = { origin: this.nodeId, message }
    try {
      await this.#connectPublisher()
      const events = this.#events?.has('busPublished') ? this.#events : undefined
      const started = events && performance.now()
      await this.#publisher.publish(this.channel, JSON.stringify(envelope))
      if (started) events!.emit('busPublished', (performance.now() - started) / 1000)
    } catch (error) {
      throw redisError('send', error)
    }
  }

  /**
   * Connects the publisher once: a process that only publishes (an ace
   * command) sends without start(). After a failed attempt ioredis keeps
   * reconnecting on its own and sends fail fast meanwhile.
   */
  #connectPublisher() {
    if (this.#publisher.status === 'wait') {
      this.#connecting = this.#publisher.connect().finally(() => (this.#connecting = undefined))
    }
    return this.#connecting
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#subscriber.removeAllListeners('message')
    if (this.#subscriber.status === 'ready') await this.#subscriber.unsubscribe().catch(() => {})
    await Promise.all([quit(this.#subscriber), quit(this.#publisher)])
  }

  #report(details: object, message: string) {
    const line = `broadcast bus (Redis): ${message}`
    if (this.#logger) this.#logger.error(details, line)
    else debug('%s %o', line, details)
  }
}

/**
 * Quits politely when connected; otherwise stops the reconnect loop
 */
async function quit(connection: Redis) {
  if (connection.status === 'ready') {
    await connection.quit().catch(() => connection.disconnect())
  } else {
    connection.disconnect()
  }
}

function redisError(operation: string, error: unknown) {
  const reason = error instanceof Error ? error.message : String(error)
  return new Error(`Redis bus: ${operation} failed: ${reason}`, { cause: error })
}
