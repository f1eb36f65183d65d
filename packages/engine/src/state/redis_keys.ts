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
 * How many slots the channels are spread over (see RedisKeys). Fixed:
 * every node of a cluster must place a channel in the same bucket
 */
export const BUCKETS = 256

/**
 * A channel's bucket: FNV-1a of its name, so every node and version agrees
 */
export function bucketOf(channel: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < channel.length; i++) {
    hash = Math.imul(hash ^ channel.charCodeAt(i), 0x01000193)
  }
  return (hash >>> 0) % BUCKETS
}

/**
 * Where the Redis channel state keeps what, all under one prefix (what
 * each key holds: see redis_scripts.ts).
 *
 * A channel's keys carry the hash tag of its bucket, "{b<0-255>}", and so
 * do the two indexes its joins and leaves keep (the bucket's occupied
 * channels, each node's memberships in the bucket): every script runs on
 * one Redis Cluster slot, and a listing reads 256 small sets rather than
 * the whole keyspace. The keys of one node share "{nodeId}", those of one
 * client address "{ip:address}".
 */
export class RedisKeys {
  /**
   * The registered nodes
   */
  readonly nodes: string

  constructor(readonly prefix: string) {
    this.nodes = `${prefix}nodes`
  }

  /**
   * The hash tag of a bucket, "<prefix>{b<n>}"
   */
  #tag(bucket: number) {
    return `${this.prefix}{b${bucket}}`
  }

  /**
   * Every bucket, for what reads all of them (listings, reaping)
   */
  buckets(): number[] {
    return Array.from({ length: BUCKETS }, (_, bucket) => bucket)
  }

  /**
   * The occupied channels of a bucket
   */
  channels(bucket: number) {
    return `${this.#tag(bucket)}channels`
  }

  /**
   * A node's memberships in a bucket, as "channel\nsocketId"
   */
  memberships(bucket: number, nodeId: string) {
    return `${this.#tag(bucket)}memberships:${nodeId}`
  }

  /**
   * The keys of one channel start so (a channel name has no ":")
   */
  #base(channel: string) {
    return `${this.#tag(bucketOf(channel))}:${channel}`
  }

  channel(channel: string): ChannelKeys {
    const base = this.#base(channel)
    return [`${base}:sockets`, `${base}:members`, `${base}:users`, `${base}:left`]
  }

  membership(channel: string, nodeId: string): MembershipKeys {
    const bucket = bucketOf(channel)
    return [...this.channel(channel), this.memberships(bucket, nodeId), this.channels(bucket)]
  }

  /**
   * The sharded pub/sub channel of a channel's bus messages: on the
   * bucket's slot, like its keys
   */
  bus(channel: string) {
    return `${this.#base(channel)}:bus`
  }

  /**
   * A user's client events in a channel within its one-second window
   * (expires with the window)
   */
  clientEvents(channel: string, userId: string) {
    return `${this.#base(channel)}:events:${userId}`
  }

  /**
   * The last event of a cache channel
   */
  cache(channel: string) {
    return `${this.#base(channel)}:cache`
  }

  /**
   * Lives while the node's heartbeat renews it
   */
  alive(nodeId: string) {
    return `${this.prefix}node:{${nodeId}}`
  }

  /**
   * The client addresses the node holds sockets from (its fields in
   * "connections"), so a survivor reaping it can clear them
   */
  addresses(nodeId: string) {
    return `${this.prefix}node:{${nodeId}}:addresses`
  }

  /**
   * Open sockets from one client address: node id -> count
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
