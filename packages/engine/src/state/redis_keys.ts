/**
 * sockets, members, users and left keys of a channel
 */
export type ChannelKeys = [string, string, string, string]

/**
 * A channel's keys with the two indexes a join or a leave keeps:
 * memberships of the socket's node, and occupied channels
 */
export type MembershipKeys = [...ChannelKeys, string, string]

/**
 * Where the Redis channel state keeps what, all under one prefix (what
 * each key holds: see redis_scripts.ts). The keys of one channel share the
 * hash tag "{channel}", those of one node "{nodeId}", those of one client
 * address "{ip:address}", so a script runs on one Redis Cluster slot.
 */
export class RedisKeys {
  /**
   * The occupied channels
   */
  readonly channels: string
  /**
   * The registered nodes
   */
  readonly nodes: string

  constructor(readonly prefix: string) {
    this.channels = `${prefix}channels`
    this.nodes = `${prefix}nodes`
  }

  channel(channel: string): ChannelKeys {
    const base = `${this.prefix}{${channel}}`
    return [`${base}:sockets`, `${base}:members`, `${base}:users`, `${base}:left`]
  }

  membership(channel: string, nodeId: string): MembershipKeys {
    return [...this.channel(channel), this.memberships(nodeId), this.channels]
  }

  /**
   * The sharded pub/sub channel of a channel's bus messages: on the
   * channel's slot, like its keys
   */
  bus(channel: string) {
    return `${this.prefix}{${channel}}:bus`
  }

  /**
   * A user's client events in a channel within its one-second window
   * (expires with the window)
   */
  clientEvents(channel: string, userId: string) {
    return `${this.prefix}{${channel}}:events:${userId}`
  }

  /**
   * The last event of a cache channel
   */
  cache(channel: string) {
    return `${this.prefix}{${channel}}:cache`
  }

  /**
   * Lives while the node's heartbeat renews it
   */
  alive(nodeId: string) {
    return `${this.prefix}node:{${nodeId}}`
  }

  /**
   * The node's memberships, as "channel\nsocketId"
   */
  memberships(nodeId: string) {
    return `${this.prefix}node:{${nodeId}}:memberships`
  }

  /**
   * The client addresses the node holds sockets from (its fields in
   * "connections"), so a survivor reaping it can clear them
   */
  addresses(nodeId: string) {
    return `${this.prefix}node:{${nodeId}}:addresses`
  }

  /**
   * Open sockets from one client address: node id -> count. The tag
   * "{ip:...}" is never a channel's (a channel name has no ":")
   */
  connections(address: string) {
    return `${this.prefix}{ip:${address}}:connections`
  }

  /**
   * Held by the survivor reaping a dead node
   */
  reaper(nodeId: string) {
    return `${this.prefix}node:{${nodeId}}:reaper`
  }
}
