import type { ServerEvents } from '../server_events.ts'

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
   * "terminate_connections")
   */
  | { type: 'terminate_user'; userId: string }

/**
 * Relays messages between the nodes of one app. A node delivers its own
 * messages to its local sockets itself, at once: the bus carries them to
 * the other nodes only, and never hands a node its own message back.
 */
export interface Bus {
  /**
   * This node's id, unique in the cluster
   */
  readonly nodeId: string

  /**
   * Subscribes to the other nodes' messages; resolves once messages flow
   */
  start(onMessage: (message: BusMessage) => void): Promise<void>

  /**
   * Sends to every other node. Rejects when the transport cannot take the
   * message (Redis unreachable): the caller reports it, local delivery has
   * already happened. A bus shared across processes (Redis) also sends
   * without start(): a process that serves no clients only publishes.
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
