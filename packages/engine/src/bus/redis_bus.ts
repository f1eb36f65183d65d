import debug from '../debug.ts'
import { busChannelOf, type Bus, type BusMessage } from './bus.ts'
import { BusInterest } from './bus_interest.ts'
import type { BusInterestOptions } from './channel_interest.ts'
import { bucketOf, RedisKeys } from '../state/redis_keys.ts'
import { duplicateClient, type RedisClient } from '../state/redis_client.ts'
import type { ServerEvents } from '../server_events.ts'

export interface RedisBusOptions {
  nodeId: string
  /**
   * Put before the pub/sub channel names. Default "broadcast:"
   */
  prefix?: string
  /**
   * How the node subscribes to its channels: linger and bounds
   */
  routing?: BusInterestOptions
  /**
   * Where a malformed message from the bus is reported. Default:
   * NODE_DEBUG=adonisjs:broadcast output
   */
  logger?: { error(details: object, message: string): void }
}

/**
 * What travels on a channel's bus: the message and the node it came from
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
 * The bus over Redis sharded pub/sub (Redis 7 or later): each channel's
 * messages travel on a channel of their own, "<prefix>{<channel>}:bus", on
 * the slot of the channel's keys, and a node subscribes only to the
 * channels it holds (BusInterest: batched, lingering, bounded). A publisher
 * that fails fast when Redis is unreachable, and a subscriber that
 * subscribes every held channel again, in one round, after a reconnect.
 * Both are duplicates of the given connection, owned by the bus; the given
 * one is never touched.
 */
export class RedisBus implements Bus {
  readonly nodeId: string
  readonly interest: BusInterest

  #keys: RedisKeys
  #publisher: RedisClient
  #subscriber: RedisClient
  #logger?: RedisBusOptions['logger']
  #closed = false
  #connecting?: Promise<void>
  #events?: ServerEvents

  constructor(connection: RedisClient, options: RedisBusOptions) {
    this.nodeId = options.nodeId
    this.#keys = new RedisKeys(options.prefix ?? 'broadcast:')
    this.#logger = options.logger
    // No offline queue: while Redis is away a send rejects at once
    this.#publisher = duplicateClient(connection, { lazyConnect: true, enableOfflineQueue: false })
    // One Redis: subscribed again by the interest, in one round. A
    // cluster: ioredis keeps a subscriber per master and resubscribes it
    this.#subscriber = duplicateClient(connection, {
      lazyConnect: true,
      autoResubscribe: false,
      shardedSubscribers: true,
    })
    // Reconnect attempts fail while Redis is away: sends report it to the caller
    for (const client of [this.#publisher, this.#subscriber]) {
      client.on('error', (error: Error) => debug('broadcast bus (Redis): %s', error.message))
    }
    this.interest = new BusInterest(
      {
        subscribe: (channels) =>
          this.#perBucket(channels, (keys) => this.#subscriber.ssubscribe(...keys)).catch(
            (error) => {
              throw redisError('subscribe', error)
            }
          ),
        unsubscribe: (channels) =>
          this.#perBucket(channels, (keys) => this.#subscriber.sunsubscribe(...keys)),
      },
      options.routing,
      (error, where) => this.#report({ err: error }, `${where} failed`)
    )
    // "ready" comes before ioredis sends what it queued meanwhile
    let connectedBefore = false
    this.#subscriber.on('ready', () => {
      if (connectedBefore && !this.#subscriber.isCluster) this.interest.resubscribeAll()
      connectedBefore = true
    })
  }

  /**
   * One command on one Redis; on a cluster one per bucket, as the channels
   * of one command must share a slot
   */
  async #perBucket(channels: string[], command: (keys: string[]) => Promise<unknown>) {
    if (!this.#subscriber.isCluster) {
      return void (await command(channels.map((channel) => this.#keys.bus(channel))))
    }
    const buckets = new Map<number, string[]>()
    for (const channel of channels) {
      const bucket = bucketOf(channel)
      const keys = buckets.get(bucket)
      if (keys) keys.push(this.#keys.bus(channel))
      else buckets.set(bucket, [this.#keys.bus(channel)])
    }
    await Promise.all(Array.from(buckets.values(), command))
  }

  /**
   * The sharded pub/sub channel a channel's messages travel on
   */
  key(channel: string) {
    return this.#keys.bus(channel)
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
    this.#subscriber.on('smessage', (key: string, raw: string) => {
      const events = this.#events
      if (events?.has('busReceived')) events.emit('busReceived', Buffer.byteLength(raw))
      const envelope = parseEnvelope(raw)
      // Another app or version sharing the prefix, or a message on a
      // channel that is not its own: never handed on
      if (!envelope || this.#keys.bus(busChannelOf(envelope.message)) !== key) {
        return this.#report({ raw: raw.slice(0, 200) }, 'malformed message dropped')
      }
      if (envelope.origin === this.nodeId) return
      try {
        onMessage(envelope.message)
      } catch (error) {
        this.#report({ err: error }, 'listener failed')
      }
    })
    try {
      await Promise.all([this.#connectPublisher(), this.#subscriber.connect()])
      // Sharded pub/sub is there (Redis 7 or later); nobody listens to it
      await this.#publisher.spublish(`${this.#keys.prefix}bus:probe`, '')
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
      await this.#publisher.spublish(
        this.#keys.bus(busChannelOf(message)),
        JSON.stringify(envelope)
      )
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
    this.interest.close()
    this.#subscriber.removeAllListeners('smessage')
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
async function quit(connection: RedisClient) {
  if (connection.status === 'ready') {
    await connection.quit().catch(() => connection.disconnect())
  } else {
    connection.disconnect()
  }
}

function redisError(operation: string, error: unknown) {
  let reason = error instanceof Error ? error.message : String(error)
  if (/unknown command/i.test(reason)) {
    reason += ' (the bus uses sharded pub/sub, SPUBLISH and SSUBSCRIBE: Redis 7 or later)'
  }
  return new Error(`Redis bus: ${operation} failed: ${reason}`, { cause: error })
}
