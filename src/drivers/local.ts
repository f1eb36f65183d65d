import type { Server } from 'node:http'
import type { BroadcastDriver, BroadcastMessage, PusherCredentials } from '../types.ts'
import type { PusherDriver } from './pusher.ts'
import {
  EmbeddedServer,
  type EmbeddedServerOptions,
  ClusterPublisher,
  WebhookSender,
  type WebhookTarget,
} from '@adonisjs-broadcasting/engine'
import {
  BroadcastAppUnreachableException,
  BroadcastFailedException,
  E_BROADCAST_SERVER_NOT_RUNNING,
} from '../errors.ts'

/**
 * Config of the local driver: the embedded Pusher-protocol server, attached
 * to the app's HTTP server or run with "node ace broadcast:serve"
 */
export interface LocalDriverConfig extends EmbeddedServerOptions {
  /**
   * Where the app serving the embedded server listens (its HOST and PORT).
   * A process whose own server does not serve clients (an ace command, a
   * queue worker) publishes there, through the Pusher HTTP API; without it
   * it fails with E_BROADCAST_SERVER_NOT_RUNNING. Not used with a cluster
   * shared across processes (Redis): such a process publishes onto the bus.
   */
  publishTo?: { host: string; port: number | string; scheme?: 'http' | 'https' }
  /**
   * Pusher-compatible webhooks of the lifecycle events, signed with the
   * app's key and secret (or the target's own "secret"), batched, retried
   * for 5 minutes
   */
  webhooks?: WebhookTarget[]
}

/**
 * Delivers in process through the embedded Pusher-protocol server: no HTTP
 * hop, the same "toOthers" semantics as the pusher driver (the message's
 * socket id is excluded). The server attaches to the app's HTTP server or
 * listens on its own port ("broadcast:serve").
 */
export class LocalDriver implements BroadcastDriver {
  readonly credentials: PusherCredentials
  readonly server: EmbeddedServer
  #config: LocalDriverConfig
  /**
   * The app at "publishTo": retrying transient failures, and trying once
   * while it is known to be unreachable (a seeder then fails fast per model)
   */
  #remote: { retrying?: Promise<PusherDriver>; once?: Promise<PusherDriver> } = {}
  #publisher?: ClusterPublisher
  #webhooks?: WebhookSender
  #closing?: Promise<void>
  /**
   * Whether the last attempt to reach "publishTo" found nothing there
   */
  #unreachable = false

  constructor(config: LocalDriverConfig) {
    this.credentials = { appId: config.appId, key: config.key, secret: config.secret }
    this.#config = config
    const own = config.onLifecycleEvent
    const webhooks = config.webhooks?.length
      ? new WebhookSender({ ...this.credentials, targets: config.webhooks, logger: config.logger })
      : undefined
    this.#webhooks = webhooks
    this.server = new EmbeddedServer({
      ...config,
      onLifecycleEvent: webhooks
        ? (event) => {
            webhooks.push(event)
            own?.(event)
          }
        : own,
    })
    // Gauges are read from the server when scraped
    const server = this.server
    config.metrics?.observe?.({
      get nodeId() {
        return server.nodeId
      },
      stats: () => server.stats(),
      webhookStats: () => this.webhookStats(),
    })
  }

  /**
   * What the outgoing webhooks sent, failed and dropped
   */
  webhookStats() {
    return this.#webhooks?.stats()
  }

  /**
   * The path before "/app/<key>" clients connect to (pusher-js "wsPath")
   */
  get wsPath() {
    return (this.#config.path ?? '').replace(/\/+$/, '')
  }

  /**
   * Webhook targets whose queue is full (health checks)
   */
  fullWebhookTargets(): string[] {
    return this.#webhooks?.fullTargets() ?? []
  }

  /**
   * What the embedded server reads from a client ("limits.maxMessageBytes")
   */
  get maxClientMessageBytes() {
    return this.server.limits.maxMessageBytes
  }

  async send(messages: BroadcastMessage[]): Promise<void> {
    if (!this.server.serving) {
      return this.#forward(messages)
    }
    // This node's sockets have every message at once; the other nodes' bus sends are awaited
    const sent = messages.map((message) =>
      this.server.publish(message.channels, message.event, message.data, message.socketId)
    )
    try {
      await Promise.all(sent)
    } catch (error) {
      throw failed(messages, "the event reached this node's sockets but not the other nodes", error)
    }
  }

  /**
   * Nobody can be connected to this process's server: publish onto the
   * shared bus, or hand the messages to the app that serves clients, or
   * fail loudly rather than drop them
   */
  async #forward(messages: BroadcastMessage[]) {
    const publisher = this.#sharedPublisher()
    if (publisher) {
      const sent = messages.map((message) =>
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
      throw new BroadcastAppUnreachableException(this.#config.publishTo!, {
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
    const target = this.#config.publishTo
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

  /**
   * The bus and state of a cluster shared across processes, for a process
   * whose server does not serve clients; undefined otherwise
   */
  #sharedPublisher() {
    if (this.server.serving || !this.#config.cluster?.shared) return undefined
    this.#publisher ??= new ClusterPublisher(this.#config.cluster, {
      limits: this.server.limits,
      cacheTtl: this.#config.cacheTtl,
    })
    return this.#publisher
  }

  /**
   * Sends an event to every socket signed in as the user
   * ("#server-to-user-<id>")
   */
  async toUser(userId: string | number, event: string, data: unknown = {}) {
    const payload = typeof data === 'string' ? data : JSON.stringify(data)
    if (this.server.serving || this.#sharedPublisher()) {
      const target = this.#sharedPublisher() ?? this.server
      return target.toUser(String(userId), event, payload)
    }
    const remote = await this.#remoteApp()
    return this.#throughApp([event], [`#server-to-user-${userId}`], () =>
      remote.toUser(userId, event, payload)
    )
  }

  /**
   * Closes the user's signed-in connections (close code 4009)
   */
  async terminateUserConnections(userId: string | number) {
    if (this.server.serving || this.#sharedPublisher()) {
      const target = this.#sharedPublisher() ?? this.server
      return target.terminateUserConnections(String(userId))
    }
    const remote = await this.#remoteApp()
    return this.#throughApp([], [], () => remote.terminateUserConnections(userId))
  }

  /**
   * Serves WebSocket upgrades and the HTTP API on an existing Node server
   */
  attach(server: Server) {
    this.server.attach(server)
  }

  /**
   * Listens on a port of its own
   */
  listen(port: number, host?: string) {
    return this.server.listen(port, host)
  }

  /**
   * Sockets are closed with 4200 (clients reconnect) and the port released.
   * Calls while one runs share it ("broadcast:serve" closes on SIGTERM, and
   * so does the app's shutdown).
   */
  close(): Promise<void> {
    this.#closing ??= this.#close().finally(() => (this.#closing = undefined))
    return this.#closing
  }

  async #close() {
    await this.server.close()
    // After the server: the leaves of its last sockets go out too
    await this.#webhooks?.close()
    await this.#publisher?.close()
  }
}

/**
 * A failure of the cluster's bus or state, as the connection's "onFailure"
 * expects it
 */
function failed(messages: BroadcastMessage[], what: string, error: unknown) {
  return new BroadcastFailedException(
    `Broadcast failed: ${what} (${(error as Error)?.message ?? String(error)})`,
    {
      events: messages.map((message) => message.event),
      channels: messages.flatMap((message) => message.channels),
      cause: error,
    }
  )
}
