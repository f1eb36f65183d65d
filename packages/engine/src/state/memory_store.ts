import { EventCache, type EventCacheLimits } from './event_cache.ts'
import { DEFAULT_LIMITS } from '../limits.ts'

/**
 * A presence channel's members: user id to user_info and the subscriptions
 * ("<node>:<socket>") holding it, to de-duplicate a user's tabs and nodes.
 * A member held by none is within its leave-event delay: still listed
 * until the removal is confirmed or the user comes back.
 */
type Presence = Map<string, { info: unknown; holders: Set<string> }>

/**
 * The cluster's state in one process's memory, shared by every MemoryState
 * bound to it (one per node). Plain maps: nothing in it is asynchronous,
 * so each operation is atomic.
 */
export class MemoryStore {
  /**
   * Channel to its subscriptions: "<node>:<socket>" to the presence user id
   */
  readonly channels = new Map<string, Map<string, string | undefined>>()
  readonly presence = new Map<string, Presence>()
  /**
   * Sockets counted under the user they signed in as (not presence: a
   * member's sockets are its holders), by channel: each subscription's
   * user ("<node>:<socket>" to user id), and each user's count
   */
  readonly owners = new Map<
    string,
    { bySocket: Map<string, string>; byUser: Map<string, number> }
  >()
  /**
   * Node to its subscriptions (channel, socket id), so one node's state can
   * be removed alone
   */
  readonly nodes = new Map<string, Map<string, Set<string>>>()
  /**
   * Client-event windows of the users with a socket in a channel, by
   * channel: user id to the window's start (epoch ms) and count
   */
  readonly clientEvents = new Map<string, Map<string, { start: number; count: number }>>()
  /**
   * Open sockets per client address, by node ("maxConnectionsPerIp" on
   * every node together): address to node id to count
   */
  readonly addresses = new Map<string, Map<string, number>>()
  /**
   * Leaves within their leave-event delay, by channel: "~" for the
   * vacancy, "u<userId>" for a member's removal, to the leave's token
   */
  readonly pendingLeaves = new Map<string, Map<string, string>>()
  /**
   * The last event of each cache channel, bounded and swept
   */
  readonly eventCache: EventCache

  /**
   * The cache bounds default to "maxCachedChannels" and "maxCachedBytes"
   */
  constructor(cacheLimits: Partial<EventCacheLimits> = {}) {
    this.eventCache = new EventCache({
      maxEntries: cacheLimits.maxEntries ?? DEFAULT_LIMITS.maxCachedChannels,
      maxBytes: cacheLimits.maxBytes ?? DEFAULT_LIMITS.maxCachedBytes,
    })
  }

  /**
   * The sockets a user holds in a channel on every node: a presence
   * member's holders, or those counted under the user
   */
  socketsOf(channel: string, userId: string, presence: boolean) {
    if (presence) return this.presence.get(channel)?.get(userId)?.holders.size ?? 0
    return this.owners.get(channel)?.byUser.get(userId) ?? 0
  }

  countOwner(channel: string, key: string, userId: string) {
    let owners = this.owners.get(channel)
    if (!owners) {
      owners = { bySocket: new Map(), byUser: new Map() }
      this.owners.set(channel, owners)
    }
    owners.bySocket.set(key, userId)
    owners.byUser.set(userId, (owners.byUser.get(userId) ?? 0) + 1)
  }

  /**
   * The user the socket counted under, if any
   */
  uncountOwner(channel: string, key: string) {
    const owners = this.owners.get(channel)
    const userId = owners?.bySocket.get(key)
    if (!owners || userId === undefined) return undefined
    owners.bySocket.delete(key)
    const left = (owners.byUser.get(userId) ?? 1) - 1
    if (left > 0) owners.byUser.set(userId, left)
    else owners.byUser.delete(userId)
    if (owners.bySocket.size === 0) this.owners.delete(channel)
    return userId
  }

  /**
   * Only a user with a socket in
   * the channel gets a window, so the windows never outgrow the sockets.
   */
  takeClientEvent(channel: string, userId: string, perSecond: number): boolean {
    if (this.socketsOf(channel, userId, channel.startsWith('presence-')) === 0) return true
    let windows = this.clientEvents.get(channel)
    if (!windows) {
      windows = new Map()
      this.clientEvents.set(channel, windows)
    }
    const now = Date.now()
    let window = windows.get(userId)
    if (!window || now - window.start >= 1000) {
      window = { start: now, count: 0 }
      windows.set(userId, window)
    }
    window.count++
    return window.count <= perSecond
  }

  openConnection(nodeId: string, address: string, count: number, limit: number): boolean {
    let others = 0
    for (const [node, held] of this.addresses.get(address) ?? []) {
      if (node !== nodeId) others += held
    }
    const admitted = others + count <= limit
    this.recordConnections(nodeId, address, admitted ? count : count - 1)
    return admitted
  }

  recordConnections(nodeId: string, address: string, count: number) {
    const { addresses } = this
    let nodes = addresses.get(address)
    if (count > 0) {
      if (!nodes) {
        nodes = new Map()
        addresses.set(address, nodes)
      }
      nodes.set(nodeId, count)
    } else if (nodes?.delete(nodeId) && nodes.size === 0) {
      addresses.delete(address)
    }
  }

  forgetWindow(channel: string, userId: string) {
    const windows = this.clientEvents.get(channel)
    if (!windows?.delete(userId)) return
    if (windows.size === 0) this.clientEvents.delete(channel)
  }
}
