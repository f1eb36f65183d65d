import type { BusMessage } from '../bus/bus.ts'
import { createNodeId, type ClusterAdapter, type ClusterFactory } from './cluster.ts'
import type { ServerLimits } from '../limits.ts'
import type { ChannelState } from '../state/channel_state.ts'
import type { LifecycleReporter } from '../lifecycle/lifecycle_reporter.ts'
import type { ServerEvents } from '../server_events.ts'
import type { SocketConnection } from '../connection/socket_connection.ts'
import type { LocalSockets } from '../connection/local_sockets.ts'
import type { SubscriptionCounts } from '../subscriptions/subscription_counts.ts'

/**
 * What membership needs of the server: its limits, its sockets (to join
 * again; their channels, to subscribe on the bus), where leaves become
 * events and counts
 */
export interface MembershipHost {
  readonly limits: ServerLimits
  readonly sockets: Iterable<SocketConnection>
  readonly local: LocalSockets
  readonly lifecycle: LifecycleReporter
  readonly subscriptionCounts: SubscriptionCounts
}

export interface MembershipOptions {
  /**
   * Makes this node's bus and state on every join
   */
  factory: ClusterFactory
  heartbeatMs: number
  events: ServerEvents
  /**
   * Where the other nodes' messages go
   */
  receive(message: BusMessage): void
  report(error: unknown, where: string): void
}

/**
 * This node's place in its cluster: it joins under a new node id on every
 * start (bus and state), marks itself alive, reaps dead nodes, joins its
 * sockets again when the shared state lost it, and leaves on close
 */
export class ClusterMembership {
  /**
   * This node's id, new on every start
   */
  nodeId?: string
  /**
   * The bus and state, once joined
   */
  cluster?: ClusterAdapter
  /**
   * Settles once the join is over (rejects when it failed)
   */
  ready?: Promise<ClusterAdapter>
  #heartbeatRunning = false
  #heartbeatTimer?: NodeJS.Timeout

  constructor(
    protected host: MembershipHost,
    protected options: MembershipOptions
  ) {}

  /**
   * Whether other processes share the state (their clients may come back
   * through them)
   */
  get shared() {
    return this.options.factory.shared === true
  }

  /**
   * Whether this node has joined its cluster (bus and state ready)
   */
  get joined() {
    return this.cluster !== undefined
  }

  /**
   * Whether the cluster's bus is connected (Redis); true for a bus that
   * cannot disconnect, false before the node joined
   */
  get busConnected() {
    const cluster = this.cluster
    return cluster ? (cluster.bus.connected ?? true) : false
  }

  /**
   * The cluster's channel state, once the node has joined it (every socket
   * and API request waits for that)
   */
  get state(): ChannelState {
    const cluster = this.cluster
    if (!cluster) throw new Error('The broadcast server has not joined its cluster yet')
    return cluster.state
  }

  /**
   * Resolves with the cluster once this node has joined it; rejects when
   * the server is not started or the join failed
   */
  async whenJoined() {
    const ready = this.ready
    if (!ready) throw new Error('The broadcast server is not started')
    return ready
  }

  /**
   * Makes this node's bus and state under a new node id and listens to the
   * other nodes' messages of the channels its sockets hold. A failure is
   * reported; sockets and requests waiting for it are refused.
   */
  join() {
    const nodeId = createNodeId()
    this.nodeId = nodeId
    const ready = (async () => {
      const cluster = await this.options.factory(nodeId, this.host.limits)
      cluster.bus.instrument?.(this.options.events)
      await cluster.bus.start((message) => {
        try {
          this.options.receive(message)
        } catch (error) {
          this.options.report(error, 'bus message')
        }
      })
      // Registered before any join, so a node that dies is reaped
      await cluster.state.heartbeat()
      if (this.nodeId === nodeId) {
        // Before any socket is served: their channels are the bus's interest
        this.host.local.interest = cluster.bus.interest
        this.cluster = cluster
      }
      return cluster
    })()
    ready.catch((error) => this.options.report(error, 'joining the cluster'))
    this.ready = ready
  }

  /**
   * Runs the heartbeat every "heartbeatMs" until stopBeating()
   */
  startBeating(safely: (where: string, body: () => void) => void) {
    clearInterval(this.#heartbeatTimer)
    this.#heartbeatTimer = setInterval(
      () => safely('heartbeat', () => this.heartbeat()),
      this.options.heartbeatMs
    ).unref()
  }

  stopBeating() {
    clearInterval(this.#heartbeatTimer)
    this.#heartbeatTimer = undefined
  }

  /**
   * Marks this node alive, then removes dead nodes' subscriptions and
   * tells their channels who left. One round at a time.
   */
  heartbeat() {
    const cluster = this.cluster
    if (!cluster || this.#heartbeatRunning) return
    this.#heartbeatRunning = true
    const { lifecycle, subscriptionCounts } = this.host
    const round = async () => {
      if (await cluster.state.heartbeat()) await this.#rejoin(cluster)
      const reaped = await cluster.state.reapDeadNodes(lifecycle.leaveDelayMs)
      for (const leave of reaped) {
        lifecycle.left(cluster.state, leave.channel, leave)
        subscriptionCounts.changed(leave.channel)
      }
    }
    round()
      .catch((error) => this.options.report(error, 'heartbeat'))
      .finally(() => (this.#heartbeatRunning = false))
  }

  /**
   * The shared state lost this node (Redis restarted empty, or this node
   * was reaped after a stall): its sockets join their channels again and
   * count for their addresses again, so counts and presence lists
   * converge. Joins are idempotent; members the other nodes' clients
   * already know are not announced again.
   */
  async #rejoin(cluster: ClusterAdapter) {
    const addresses = new Map<string, number>()
    for (const socket of this.host.sockets) {
      addresses.set(socket.address, (addresses.get(socket.address) ?? 0) + 1)
      for (const subscription of socket.channels.values()) {
        await subscription.rejoin(cluster.state)
      }
      await socket.signedIn?.rejoin(cluster.state)
    }
    // Its sockets count for their addresses again
    if (this.host.limits.maxConnectionsPerIp <= 0) return
    for (const [address, count] of addresses) {
      await cluster.state.recordConnections(address, count)
    }
  }

  /**
   * Removes this node's state (never the other nodes') and leaves the bus
   */
  async leave() {
    const ready = this.ready
    this.ready = undefined
    this.cluster = undefined
    this.nodeId = undefined
    const cluster = await ready?.catch(() => undefined)
    if (!cluster) return
    // Unless a new start already gave it its next bus
    const { local } = this.host
    if (local.interest === cluster.bus.interest) local.interest = undefined
    try {
      await cluster.state.removeNode()
    } catch (error) {
      this.options.report(error, 'removing the node state')
    }
    try {
      await cluster.bus.close()
      await cluster.close?.()
    } catch (error) {
      this.options.report(error, 'closing the bus')
    }
  }
}
