import { createNodeId, type ClusterAdapter, type ClusterFactory } from './cluster.ts'
import type { ServerLimits } from '../limits.ts'
import { encodeFrame } from '../protocol.ts'
import { isCacheChannel } from '../channel_rules.ts'
import { USER_CHANNEL_PREFIX } from '../channel_name.ts'

export interface ClusterPublisherOptions {
  limits: ServerLimits
  /**
   * How long cache channels keep their last event, in seconds. Default: 1800
   */
  cacheTtl?: number
}

/**
 * The cluster as seen by a process that serves no clients (an ace command,
 * a queue worker) when its adapter is shared across processes (Redis):
 * events go straight onto the bus and cache-channel events into the shared
 * state, no WebSocket server, no HTTP hop. It never subscribes to the bus
 * nor registers as a node: it holds no memberships, so there is nothing to
 * heartbeat, count or reap.
 */
export class ClusterPublisher {
  #factory: ClusterFactory
  #limits: ServerLimits
  #cacheTtlMs: number
  #cluster?: Promise<ClusterAdapter>

  constructor(factory: ClusterFactory, options: ClusterPublisherOptions) {
    this.#factory = factory
    this.#limits = options.limits
    this.#cacheTtlMs = (options.cacheTtl ?? 1800) * 1000
  }

  /**
   * Sends an event to the channels' sockets on every node, as
   * "EmbeddedServer.publish" does; rejects when the bus or the state could
   * not take it
   */
  async publish(channels: string[], event: string, data: string, exceptSocketId?: string) {
    const cluster = await this.#connect()
    const sent: Promise<void>[] = []
    for (const channel of channels) {
      const frame = encodeFrame(event, data, channel)
      sent.push(cluster.bus.send({ type: 'publish', channel, frame, exceptSocketId }))
      if (isCacheChannel(channel)) {
        sent.push(cluster.state.cacheEvent(channel, frame, this.#cacheTtlMs))
      }
    }
    await Promise.all(sent)
  }

  toUser(userId: string, event: string, data: string) {
    return this.publish([`${USER_CHANNEL_PREFIX}${userId}`], event, data)
  }

  async terminateUserConnections(userId: string) {
    const cluster = await this.#connect()
    await cluster.bus.send({ type: 'terminate_user', userId })
  }

  /**
   * The bus and state, made on first use under an id of its own (the
   * nodes' buses skip only their own messages)
   */
  #connect() {
    if (!this.#cluster) {
      const cluster = (async () => this.#factory(createNodeId(), this.#limits))()
      // A factory that failed (a service missing) is asked again next time
      cluster.catch(() => {
        if (this.#cluster === cluster) this.#cluster = undefined
      })
      this.#cluster = cluster
    }
    return this.#cluster
  }

  /**
   * Releases the connections; publishing again opens new ones
   */
  async close() {
    const cluster = await this.#cluster?.catch(() => undefined)
    this.#cluster = undefined
    if (!cluster) return
    await cluster.bus.close()
    await cluster.close?.()
  }
}
