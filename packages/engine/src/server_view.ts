import { CHANNEL_TYPES, channelType, type ChannelType } from './channel_name.ts'
import type { WebhookStats } from './webhooks/target_queue.ts'
import type { ChannelState } from './state/channel_state.ts'

/**
 * What the views read of a connection (a SocketConnection)
 */
interface ViewedSocket {
  readonly id: string
  readonly userId?: string
  readonly channels: ReadonlyMap<string, { readonly member: { id: string } | null }>
}

/**
 * What a health check or a metrics scrape reads of one node
 */
export interface ServerStats {
  /**
   * Attached to an HTTP server or listening on its own port
   */
  serving: boolean
  /**
   * Joined its cluster (bus and state ready)
   */
  joined: boolean
  /**
   * The cluster's bus is connected (always, for a bus that cannot drop)
   */
  busConnected: boolean
  nodeId: string | null
  connections: number
  /**
   * Subscriptions of this node's connections
   */
  subscriptions: number
  /**
   * Channels with a subscriber on this node, by kind
   */
  channels: Record<ChannelType, number>
  /**
   * The outgoing webhooks, when the server has targets: what they sent,
   * failed and dropped, and the targets whose queue is full
   */
  webhooks?: WebhookStats & { full: string[] }
}

/**
 * A running node as its "started" event hands it to consoles, health
 * checks and gauges: read-only views, and publishing (a console's updates)
 */
export interface ServingNode {
  readonly serving: boolean
  /**
   * Read on every labelled count: must be cheap
   */
  readonly nodeId: string | undefined
  stats(): ServerStats
  snapshot(bounds: SnapshotBounds): ServerSnapshot
  /**
   * This node's sockets in a channel
   */
  subscribers(channel: string): number
  publish(channels: string[], event: string, data: string): Promise<void>
  /**
   * The cluster's channel state (throws before the node joined): how many
   * subscriptions a channel has on every node
   */
  readonly state: Pick<ChannelState, 'channel'>
}

/**
 * How much a snapshot holds at most: it is sent to a browser
 */
export interface SnapshotBounds {
  sockets: number
  channels: number
  membersPerChannel: number
  channelsPerSocket: number
}

/**
 * A bounded, read-only picture of one node's connections and channels
 * (the debug console)
 */
export interface ServerSnapshot {
  connections: number
  sockets: Array<{ id: string; user: string | null; channels: string[] }>
  channels: Array<{ name: string; type: ChannelType; count: number; members: string[] }>
}

/**
 * A node as its stats read it (an EmbeddedServer)
 */
interface ViewedNode {
  readonly serving: boolean
  readonly joined: boolean
  readonly busConnected: boolean
  readonly nodeId: string | undefined
  readonly sockets: ReadonlySet<ViewedSocket>
}

/**
 * What a health check or a metrics scrape reads of a node; "webhooks" is
 * what its outgoing webhooks counted, when it has targets
 */
export function statsOf(node: ViewedNode, webhooks: ServerStats['webhooks']): ServerStats {
  return {
    serving: node.serving,
    joined: node.joined,
    busConnected: node.busConnected,
    nodeId: node.nodeId ?? null,
    ...connectionCounts(node.sockets),
    webhooks,
  }
}

/**
 * Counts of the node's connections, subscriptions and channels by kind
 */
function connectionCounts(sockets: ReadonlySet<ViewedSocket>) {
  let subscriptions = 0
  const names = new Set<string>()
  for (const socket of sockets) {
    subscriptions += socket.channels.size
    for (const name of socket.channels.keys()) names.add(name)
  }
  const channels = Object.fromEntries(CHANNEL_TYPES.map((kind) => [kind, 0])) as Record<
    ChannelType,
    number
  >
  for (const name of names) channels[channelType(name)]++
  return { connections: sockets.size, subscriptions, channels }
}

/**
 * A bounded, read-only picture of a node's connections and channels
 */
export function snapshotOf(
  sockets: ReadonlySet<ViewedSocket>,
  bounds: SnapshotBounds
): ServerSnapshot {
  const channels = new Map<string, { count: number; members: string[] }>()
  const listed: ServerSnapshot['sockets'] = []
  for (const socket of sockets) {
    if (listed.length < bounds.sockets) {
      listed.push({
        id: socket.id,
        user: socket.userId ?? null,
        channels: [...socket.channels.keys()].slice(0, bounds.channelsPerSocket),
      })
    }
    for (const [name, { member }] of socket.channels) {
      let entry = channels.get(name)
      if (!entry) {
        if (channels.size >= bounds.channels) continue
        entry = { count: 0, members: [] }
        channels.set(name, entry)
      }
      entry.count++
      const { members } = entry
      if (member && members.length < bounds.membersPerChannel && !members.includes(member.id)) {
        members.push(member.id)
      }
    }
  }
  return {
    connections: sockets.size,
    sockets: listed,
    channels: [...channels].map(([name, { count, members }]) => ({
      name,
      type: channelType(name),
      count,
      members,
    })),
  }
}
