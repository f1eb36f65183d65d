import type { BroadcastMessage, PusherCredentials } from './types.ts'
import type { PusherDriver } from './pusher.ts'
import {
  ClusterPublisher,
  type ClusterFactory,
  type ServerLimits,
} from '@adonisjs-broadcasting/engine'
import {
  BroadcastAppUnreachableException,
  BroadcastFailedException,
  E_BROADCAST_SERVER_NOT_RUNNING,
} from '../errors.ts'

/**
 * Where the app that serves clients listens, for a process that does not
 */
export interface PublishTarget {
  host: string
  port: number | string
  scheme?: 'http' | 'https'
}

/**
 * What a process whose embedded server serves no clients (an ace command,
 * a queue worker) sends through: the cluster's shared bus when there is
 * one, else the app at "publishTo" through the Pusher HTTP API, else
 * nothing (E_BROADCAST_SERVER_NOT_RUNNING) rather than a silent drop
 */
export class LocalForwarding {
  /**
   * The app at "publishTo": retrying transient failures, and trying once
   * while it is known to be unreachable (a seeder then fails fast per model)
   */
  #remote: { retrying?: Promise<PusherDriver>; once?: Promise<PusherDriver> } = {}
  #publisher?: ClusterPublisher
  /**
   * Whether the last attempt to reach "publishTo" found nothing there
   */
  #unreachable = false

  constructor(
    protected credentials: PusherCredentials,
    protected options: {
      publishTo?: PublishTarget
      cluster?: ClusterFactory
      limits: ServerLimits
      cacheTtl?: number
    }
  ) {}

  /**
   * The bus and state of a cluster shared across processes; undefined
   * when the cluster is this process alone
   */
  sharedPublisher() {
    if (!this.options.cluster?.shared) return undefined
    this.#publisher ??= new ClusterPublisher(this.options.cluster, {
      limits: this.options.limits,
      cacheTtl: this.options.cacheTtl,
    })
    return this.#publisher
  }

  /**
   * "sealed" are the messages with their encrypted channels' data
   * encrypted, for the bus; the app at "publishTo" gets "messages" through
   * the pusher SDK, which encrypts them the same way with the same key
   */
  async send(sealed: BroadcastMessage[], messages: BroadcastMessage[]) {
    const publisher = this.sharedPublisher()
    if (publisher) {
      const sent = sealed.map((message) =>
        publisher.publish(message.channels, message.event, message.data, message.socketId)
      )
      try {
        await Promise.all(sent)
      } catch (error) {
        throw failed(messages, 'the event did not reach the cluster', error)
      }
      return
    }
    const remote = await this.#remoteApp()
    await this.#throughApp(
      messages.map((message) => message.event),
      messages.flatMap((message) => message.channels),
      () => remote.send(messages)
    )
  }

  async toUser(userId: string | number, event: string, payload: string) {
    const publisher = this.sharedPublisher()
    if (publisher) return publisher.toUser(String(userId), event, payload)
    const remote = await this.#remoteApp()
    return this.#throughApp([event], [`#server-to-user-${userId}`], () =>
      remote.toUser(userId, event, payload)
    )
  }

  async terminateUserConnections(userId: string | number) {
    const publisher = this.sharedPublisher()
    if (publisher) return publisher.terminateUserConnections(String(userId))
    const remote = await this.#remoteApp()
    return this.#throughApp([], [], () => remote.terminateUserConnections(userId))
  }

  async close() {
    await this.#publisher?.close()
  }

  /**
   * A call to the app at "publishTo". A failure without an answer (refused,
   * reset, timed out) means the app is not there, and says so; the first of
   * a run of such failures is marked so it can be reported once.
   */
  async #throughApp<T>(events: string[], channels: string[], call: () => Promise<T>): Promise<T> {
    try {
      const result = await call()
      this.#unreachable = false
      return result
    } catch (error) {
      if (!(error instanceof BroadcastFailedException) || error.responseStatus !== undefined) {
        throw error
      }
      const repeated = this.#unreachable
      this.#unreachable = true
      throw new BroadcastAppUnreachableException(this.options.publishTo!, {
        events,
        channels,
        cause: error,
        repeated,
      })
    }
  }

  /**
   * The app that serves clients ("publishTo"), through its Pusher HTTP API.
   * While the last call found nothing there, a call is tried once, without
   * the retries: the first failure already waited for them.
   */
  #remoteApp() {
    const target = this.options.publishTo
    if (!target) {
      throw new E_BROADCAST_SERVER_NOT_RUNNING()
    }
    const variant = this.#unreachable ? 'once' : 'retrying'
    this.#remote[variant] ??= import('./pusher.ts').then(
      ({ PusherDriver }) =>
        new PusherDriver({
          ...this.credentials,
          host: target.host,
          port: target.port,
          scheme: target.scheme ?? 'http',
          ...(variant === 'once' ? { retry: { retries: 0 } } : {}),
        })
    )
    return this.#remote[variant]
  }
}

/**
 * A failure of the cluster's bus or state, as the connection's "onFailure"
 * expects it
 */
export function failed(messages: BroadcastMessage[], what: string, error: unknown) {
  return new BroadcastFailedException(
    `Broadcast failed: ${what} (${(error as Error)?.message ?? String(error)})`,
    {
      events: messages.map((message) => message.event),
      channels: messages.flatMap((message) => message.channels),
      cause: error,
    }
  )
}
