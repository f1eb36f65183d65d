import type { Server } from 'node:http'
import type {
  BroadcastDriver,
  BroadcastMessage,
  DriverContext,
  PusherCredentials,
} from './types.ts'
import {
  EmbeddedServer,
  type EmbeddedServerOptions,
  type LifecycleListener,
} from '@adonisjs-broadcasting/engine'
import { assertCredentials } from './credentials.ts'
import { ChannelEncryption } from './channel_encryption.ts'
import { failed, LocalForwarding, type PublishTarget } from './local_forwarding.ts'

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
  publishTo?: PublishTarget
  /**
   * 32 bytes in base64: events to "private-encrypted-" channels are
   * encrypted in the app with it (as the pusher SDK does), and the auth
   * route answers each channel's key. The server never sees it.
   */
  encryptionMasterKeyBase64?: string
  /**
   * Receives the channel lifecycle events ("channel_occupied", ...), each
   * once for the cluster; the app's emitter has them too
   * ("broadcast:channel_occupied"). Default: none
   */
  onLifecycleEvent?: LifecycleListener
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
  #forwarding: LocalForwarding
  #encryption: ChannelEncryption
  #closing?: Promise<void>

  /**
   * Made by "drivers.local" with the manager's context: its logger and
   * events hub, and the policies, which decide client events (hot reloads
   * included) unless the config does
   */
  constructor(config: LocalDriverConfig, context?: DriverContext) {
    if (context) assertCredentials(context.connection, config)
    const policies = context?.policies
    this.credentials = {
      appId: config.appId,
      key: config.key,
      secret: config.secret,
      encryptionMasterKeyBase64: config.encryptionMasterKeyBase64 || undefined,
    }
    this.#encryption = new ChannelEncryption(this.credentials.encryptionMasterKeyBase64)
    this.#config = config
    this.server = new EmbeddedServer({
      logger: context?.logger,
      events: context?.events,
      ...config,
      clientEventsAllowed:
        config.clientEventsAllowed ??
        ((channel) => policies?.clientEventsAllowed(channel) ?? false),
    })
    if (config.onLifecycleEvent) this.server.events.on('lifecycle', config.onLifecycleEvent)
    this.#forwarding = new LocalForwarding(this.credentials, {
      publishTo: config.publishTo,
      cluster: config.cluster,
      limits: this.server.limits,
      cacheTtl: config.cacheTtl,
    })
  }

  /**
   * What the outgoing webhooks sent, failed and dropped
   */
  webhookStats() {
    return this.server.stats().webhooks
  }

  /**
   * The path before "/app/<key>" clients connect to (pusher-js "wsPath")
   */
  get wsPath() {
    return (this.#config.path ?? '').replace(/\/+$/, '')
  }

  /**
   * What the embedded server reads from a client ("limits.maxMessageBytes")
   */
  get maxClientMessageBytes() {
    return this.server.limits.maxMessageBytes
  }

  /**
   * Nobody can be connected to this process's server when it does not
   * serve: the messages go through the cluster's bus or the app that does.
   * Events to encrypted channels leave this process encrypted, whichever
   * way they go.
   */
  async send(messages: BroadcastMessage[]): Promise<void> {
    const sealed = this.#encryption.seal(messages, this.server.limits.maxEventBytes)
    if (!this.server.serving) {
      return this.#forwarding.send(sealed, messages)
    }
    // This node's sockets have every message at once; the other nodes' bus sends are awaited
    const sent = sealed.map((message) =>
      this.server.publish(message.channels, message.event, message.data, message.socketId)
    )
    try {
      await Promise.all(sent)
    } catch (error) {
      throw failed(messages, "the event reached this node's sockets but not the other nodes", error)
    }
  }

  /**
   * Sends an event to every socket signed in as the user
   * ("#server-to-user-<id>")
   */
  async toUser(userId: string | number, event: string, data: unknown = {}) {
    const payload = typeof data === 'string' ? data : JSON.stringify(data)
    if (this.server.serving) return this.server.toUser(String(userId), event, payload)
    return this.#forwarding.toUser(userId, event, payload)
  }

  /**
   * Closes the user's signed-in connections (close code 4009)
   */
  async terminateUserConnections(userId: string | number) {
    if (this.server.serving) return this.server.terminateUserConnections(String(userId))
    return this.#forwarding.terminateUserConnections(userId)
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
   * so does the app's shutdown). "drained": see EmbeddedServer.close.
   */
  close(options: { drained?: () => Promise<void> } = {}): Promise<void> {
    this.#closing ??= this.#close(options).finally(() => (this.#closing = undefined))
    return this.#closing
  }

  async #close(options: { drained?: () => Promise<void> }) {
    await this.server.close(options)
    await this.#forwarding.close()
  }
}
