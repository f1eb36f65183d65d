import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Connections } from './connection/connections.ts'
import type { LocalSockets } from './connection/local_sockets.ts'
import type { ClusterMembership } from './cluster/cluster_membership.ts'
import type { HttpApi } from './http_api/http_api.ts'
import { HttpAttachment } from './http_attachment.ts'
import type { ServerLimits } from './limits.ts'
import type { LifecycleReporter } from './lifecycle/lifecycle_reporter.ts'
import type { ServerEvents } from './server_events.ts'
import type { ServingNode } from './server_view.ts'
import type { SubscriptionCounts } from './subscriptions/subscription_counts.ts'
import type { UserChannelLimits } from './subscriptions/user_channel_limits.ts'
import type { OutgoingWebhooks } from './webhooks/outgoing_webhooks.ts'

/**
 * The server a run starts and closes, told as the node that "started"
 */
export interface RunServer extends ServingNode {
  readonly limits: ServerLimits
  readonly local: LocalSockets
  readonly lifecycle: LifecycleReporter
  readonly subscriptionCounts: SubscriptionCounts
  readonly events: ServerEvents
}

/**
 * The server's parts that a start opens and a close shuts
 */
export interface RunParts {
  connections: Connections
  membership: ClusterMembership
  userLimits: UserChannelLimits
  http: HttpApi
  webhooks: OutgoingWebhooks
  report(error: unknown, where: string): void
  safely(where: string, body: () => void): void
}

export interface CloseOptions {
  /**
   * Runs once the sockets are closed and their leaves settled, before the
   * HTTP API stops and the node leaves the bus: an app that is terminating
   * stops taking connections there, so every request it accepted is still
   * answered by a node of the cluster
   */
  drained?: () => Promise<void>
}

/**
 * A server's start, attachment and close, each step in its order. Every
 * start is a new node: a new id in the cluster, connections taken, a
 * heartbeat, webhooks sent. It is reachable attached to an HTTP server
 * (the HTTP API and its upgrades) or on a port of its own. A close is
 * graceful and may be followed by a start.
 */
export class ServerRun {
  #attachment: HttpAttachment
  /**
   * The close in progress, shared by every caller until it ends
   */
  #inFlightClose?: Promise<void>
  /**
   * From the start of a close to the next start: draining, not serving
   */
  #closing = false

  constructor(
    protected server: RunServer,
    protected parts: RunParts
  ) {
    const { http, connections, report } = parts
    this.#attachment = new HttpAttachment(
      {
        matches: (req) => http.matches(req),
        handle: (req, res) => http.handle(req, res),
        upgrade: (req, socket, head) => connections.handleUpgrade(req, socket, head),
        report,
      },
      server.limits.shutdownTimeout
    )
  }

  /**
   * Attached to an HTTP server or listening on its own port, and not
   * closing
   */
  get serving() {
    return this.#attachment.attached && !this.#closing
  }

  /**
   * Joins the cluster, takes connections and checks their liveness, marks
   * the node alive and listens for webhooks (idempotent)
   */
  start() {
    const { connections, membership, userLimits, webhooks, safely } = this.parts
    if (connections.open) return
    this.#closing = false
    membership.join()
    userLimits.clear()
    connections.start()
    membership.startBeating(safely)
    webhooks.start()
    this.server.events.emit('started', this.server)
  }

  /**
   * Starts, then serves on an existing HTTP server (idempotent while
   * attached)
   */
  attach(server: Server) {
    if (this.#attachment.attached) return
    this.start()
    this.#attachment.attach(server)
  }

  /**
   * Starts, then listens on a port of its own once the node has joined its
   * cluster
   */
  async listen(port: number, host: string) {
    this.start()
    const server = await this.#attachment.listen(port, host)
    await this.parts.membership.whenJoined()
    const address = server.address() as AddressInfo
    return { host: address.address, port: address.port }
  }

  /**
   * Tells every client to reconnect (4200) and refuses new ones the same
   * way while it settles the held leaves, serving the HTTP API meanwhile;
   * then stops taking requests, removes this node's state (never the
   * other nodes'), leaves the bus, releases a port of its own, and flushes
   * the webhooks. A call while one runs shares its promise.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (!this.#inFlightClose) {
      if (!this.parts.connections.open) return Promise.resolve()
      this.#inFlightClose = this.#close(options).finally(() => (this.#inFlightClose = undefined))
    }
    return this.#inFlightClose
  }

  async #close(options: CloseOptions) {
    const { connections, membership, http, webhooks, report } = this.parts
    const attachment = this.#attachment
    const { local, lifecycle, subscriptionCounts } = this.server
    /**
     * Draining: until this node leaves the bus it stays attached, so a
     * client that reaches it (a load balancer not yet told) is refused
     * over a WebSocket with 4200 and retries at once, elsewhere; an
     * upgrade answered by the app instead (a 404) holds pusher-js for
     * 15 s. The HTTP API keeps publishing through the bus meanwhile.
     */
    this.#closing = true
    membership.stopBeating()

    await connections.closeAll()
    subscriptionCounts.close()
    // Clients of a shared cluster reconnect to the other nodes, taking
    // their leaves back; alone, nobody can. Either way the member_removed
    // frames that stand go out before the node leaves the bus.
    await lifecycle.settle(membership.shared ? 'after-delay' : 'now')
    await options.drained?.().catch((error) => report(error, 'drained'))

    attachment.detach()
    http.close()
    connections.stop()
    local.clear()
    await membership.leave()
    await attachment.closeOwn()
    // Last: the leaves of the last sockets go out too
    await webhooks.close()
  }
}
