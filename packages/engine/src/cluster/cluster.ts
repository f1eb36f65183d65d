import { randomBytes } from 'node:crypto'
import type { Bus } from '../bus/bus.ts'
import type { ChannelState } from '../state/channel_state.ts'
import type { ServerLimits } from '../limits.ts'
import { MemoryBus, type MemoryHub } from '../bus/memory_bus.ts'
import type { BusInterestOptions } from '../bus/channel_interest.ts'
import { MemoryState } from '../state/memory_state.ts'
import { MemoryStore } from '../state/memory_store.ts'

/**
 * What one node of the embedded server shares with the others: a bus for
 * messages and the cluster's channel state, both bound to the node's id
 */
export interface ClusterAdapter {
  bus: Bus
  state: ChannelState
  /**
   * Releases what the adapter opened (Redis connections), after the node
   * left the state and the bus
   */
  close?(): Promise<void>
}

/**
 * Makes a node's bus and state. Called on every start of the server with a
 * fresh node id (a closed node's bus is closed for good).
 */
export interface ClusterFactory {
  (nodeId: string, limits: ServerLimits): ClusterAdapter | Promise<ClusterAdapter>
  /**
   * Whether separate processes share what it makes (Redis). A process
   * that serves no clients (an ace command, a queue worker) then publishes
   * onto the bus itself ("ClusterPublisher") instead of through the
   * running app's HTTP API.
   */
  readonly shared?: boolean
}

/**
 * A node id: random, so it is unique in the cluster without coordination
 */
export function createNodeId() {
  return randomBytes(8).toString('hex')
}

/**
 * The in-memory cluster. Alone (the default) each start gets a private
 * store and a bus with nobody to tell: one process is the whole server.
 * Nodes of one process (tests) pass the same hub and store, and may route
 * with other linger and bounds ("routing", as the Redis adapter's).
 */
export function memoryCluster(
  shared: { hub?: MemoryHub; store?: MemoryStore; routing?: BusInterestOptions } = {}
) {
  return ((nodeId, limits) => ({
    bus: new MemoryBus(nodeId, shared.hub, shared.routing),
    state: new MemoryState(
      nodeId,
      shared.store ??
        new MemoryStore({ maxEntries: limits.maxCachedChannels, maxBytes: limits.maxCachedBytes })
    ),
  })) satisfies ClusterFactory
}
