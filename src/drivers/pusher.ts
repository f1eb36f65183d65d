import Pusher from 'pusher'
import type { BroadcastDriver, BroadcastMessage, PusherCredentials } from './types.ts'
import { BroadcastFailedException } from '../errors.ts'
import { DEFAULT_RETRY, withRetry, type RetryOptions } from './retry.ts'
import { channelType } from '@adonisjs-broadcasting/engine/rules'

/**
 * Pusher's per-request limits
 */
export const MAX_CHANNELS_PER_TRIGGER = 100
export const MAX_EVENTS_PER_BATCH = 10

/**
 * Config of the pusher driver: Pusher Channels (give a cluster) or any
 * Pusher-compatible server (give host, port and scheme)
 */
export interface PusherDriverConfig extends PusherCredentials {
  cluster?: string
  host?: string
  port?: number | string
  scheme?: 'http' | 'https'
  useTLS?: boolean
  /**
   * Request timeout in milliseconds
   */
  timeout?: number
  /**
   * Retries of transient failures (network errors, 5xx, 429)
   */
  retry?: Partial<RetryOptions>
}

type BatchItem = { channel: string; name: string; data: unknown; socket_id?: string }

/**
 * Sends through the official "pusher" SDK, to Pusher Channels or any
 * Pusher-compatible server. Splits what Pusher's limits require: at most
 * 100 channels a trigger and 10 events a batch.
 */
export class PusherDriver implements BroadcastDriver {
  readonly credentials: PusherCredentials
  readonly client: Pusher
  #retry: RetryOptions

  constructor(config: PusherDriverConfig) {
    this.credentials = {
      appId: config.appId,
      key: config.key,
      secret: config.secret,
      encryptionMasterKeyBase64: config.encryptionMasterKeyBase64,
    }
    this.#retry = { ...DEFAULT_RETRY, ...config.retry }
    this.client = new Pusher({
      appId: config.appId,
      key: config.key,
      secret: config.secret,
      useTLS: config.useTLS ?? (config.scheme ? config.scheme === 'https' : undefined),
      timeout: config.timeout,
      encryptionMasterKeyBase64: config.encryptionMasterKeyBase64 || undefined,
      ...(config.host
        ? { host: config.host, port: config.port ? String(config.port) : undefined }
        : { cluster: config.cluster || 'mt1' }),
    })
  }

  async send(messages: BroadcastMessage[]): Promise<void> {
    const batch: BatchItem[] = []

    /**
     * An event on many channels is cheapest as triggers of 100 channels.
     * Single-channel events, and encrypted channels (which Pusher encrypts
     * one channel at a time), are grouped into batches of 10.
     */
    for (const message of messages) {
      const encrypted = message.channels.filter((name) => channelType(name) === 'encrypted')
      const plain = message.channels.filter((name) => channelType(name) !== 'encrypted')

      if (
        plain.length > 1 ||
        (plain.length === 1 && messages.length === 1 && encrypted.length === 0)
      ) {
        for (let start = 0; start < plain.length; start += MAX_CHANNELS_PER_TRIGGER) {
          await this.#trigger(message, plain.slice(start, start + MAX_CHANNELS_PER_TRIGGER))
        }
      } else {
        batch.push(...plain.map((channel) => this.#batchItem(message, channel, message.data)))
      }

      batch.push(
        ...encrypted.map((channel) => this.#batchItem(message, channel, encryptable(message.data)))
      )
    }

    for (let start = 0; start < batch.length; start += MAX_EVENTS_PER_BATCH) {
      await this.#triggerBatch(batch.slice(start, start + MAX_EVENTS_PER_BATCH))
    }
  }

  #batchItem(message: BroadcastMessage, channel: string, data: unknown): BatchItem {
    const item: BatchItem = { channel, name: message.event, data }
    if (message.socketId) item.socket_id = message.socketId
    return item
  }

  #trigger(message: BroadcastMessage, channels: string[]) {
    const params = message.socketId ? { socket_id: message.socketId } : undefined
    return this.#request([message.event], channels, () =>
      this.client.trigger(channels, message.event, message.data, params)
    )
  }

  #triggerBatch(items: BatchItem[]) {
    /**
     * The SDK mutates batch items (it encrypts "data" in place), so retries
     * get fresh copies
     */
    return this.#request(
      items.map((item) => item.name),
      items.map((item) => item.channel),
      () => this.client.triggerBatch(items.map((item) => ({ ...item })))
    )
  }

  async #request(events: string[], channels: string[], task: () => Promise<unknown>) {
    try {
      await withRetry(task, isTransient, this.#retry)
    } catch (error) {
      const status = (error as { status?: number }).status
      const body = (error as { body?: string }).body
      throw new BroadcastFailedException(
        status
          ? `Broadcast failed: the server answered ${status}${body ? ` (${String(body).trim().slice(0, 200)})` : ''}`
          : `Broadcast failed: ${(error as Error).message ?? String(error)}`,
        { responseStatus: status, responseBody: body, events, channels, cause: error }
      )
    }
  }

  /**
   * Sends an event to every connection signed in as the user
   */
  toUser(userId: string | number, event: string, data: unknown = {}) {
    const payload = typeof data === 'string' ? data : JSON.stringify(data)
    return this.#request([event], [`#server-to-user-${userId}`], () =>
      this.client.sendToUser(String(userId), event, payload)
    )
  }

  /**
   * Closes the user's signed-in connections (close code 4009)
   */
  terminateUserConnections(userId: string | number) {
    return this.#request([], [], () => this.client.terminateUserConnections(String(userId)))
  }

  async close() {}
}

/**
 * Network errors, 5xx and 429 may succeed on a second try; other 4xx never
 */
function isTransient(error: unknown): boolean {
  if (!(error instanceof Pusher.RequestError)) return false
  const status = error.status
  return status === undefined || status === 429 || status >= 500
}

/**
 * An event's data for the SDK to encrypt, which serializes it again: a
 * JSON payload parsed back, a raw string (broadcast.channel(..., 'text'))
 * as it is, so pusher-js hands back the same value
 */
function encryptable(data: string): unknown {
  try {
    return JSON.parse(data)
  } catch {
    return data
  }
}
