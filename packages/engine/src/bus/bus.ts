import type { ServerEvents } from '../server_events.ts'
import type { ChannelInterest } from './channel_interest.ts'
import { USER_CHANNEL_PREFIX } from '../channel_name.ts'

/**
 * What crosses from one node of the embedded server to the others. Every
 * message is plain JSON: it may travel through Redis.
 */
export type BusMessage =
  /**
   * A serialized Pusher frame for every local socket of a channel but the
   * excluded one (socket ids are unique cluster-wide). Events for a user go
   * to its "#server-to-user-<id>" channel, so they need nothing else.
   */
  | { type: 'publish'; channel: string; frame: string; exceptSocketId?: string }
  /**
   * Close every socket signed in as the user (HTTP API
   * "terminate_connections"). It travels on the user's channel: the nodes
   * where the user is signed in hold it.
   */
  | { type: 'terminate_user'; userId: string }

/**
 * The channel a message travels on: only the nodes that hold it receive it
 */
export function busChannelOf(message: BusMessage) {
  return message.type === 'publish' ? message.channel : `${USER_CHANNEL_PREFIX}${message.userId}`
}

/**
 * Relays messages between the nodes of one app, by interest: a message
 * goes to the nodes that hold its channel (busChannelOf), no others. A
 * node delivers its own messages to its local sockets itself, at once: the
 * bus carries them to the other nodes only, and never hands a node its own
 * message back.
 */
export interface Bus {
  /**
   * This node's id, unique in the cluster
   */
  readonly nodeId: string

  /**
   * The channels this node receives: held while it has a local socket in
   * them (or a socket signed in as the user of a "#server-to-user-"
   * channel), subscribed in batches, kept a short linger once emptied.
   * Absent: the bus hands this node every message, and holds nothing.
   */
  readonly interest?: ChannelInterest

  /**
   * Readies the transport and hands the other nodes' messages of the held
   * channels to "onMessage" from now on
   */
  start(onMessage: (message: BusMessage) => void): Promise<void>

  /**
   * Sends to the other nodes that hold the message's channel. Rejects when
   * the transport cannot take the message (Redis unreachable): the caller
   * reports it, local delivery has already happened. A bus shared across
   * processes (Redis) also sends without start(): a process that serves
   * no clients only publishes, and holds nothing.
   */
  send(message: BusMessage): Promise<void>

  /**
   * Stops receiving and releases the transport (idempotent)
   */
  close(): Promise<void>

  /**
   * Whether the transport is connected now (health checks). Absent: always
   */
  readonly connected?: boolean

  /**
   * Reports publish latencies and reconnects on the server's events
   */
  instrument?(events: ServerEvents): void
}
