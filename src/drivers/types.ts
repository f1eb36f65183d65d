import type { Logger } from '@adonisjs/core/logger'
import type { EventsHub } from '../events_hub.ts'
import type { PolicyHealth } from '../policies/policy_service.ts'

/**
 * One event on one or more channels, ready for a driver. "data" is already
 * serialized to the JSON string that goes on the wire.
 */
export interface BroadcastMessage {
  channels: string[]
  event: string
  data: string
  /**
   * Socket id excluded from delivery ("to others")
   */
  socketId?: string
}

/**
 * Credentials of a Pusher app, used to sign channel authorizations
 */
export interface PusherCredentials {
  appId: string
  key: string
  secret: string
  /**
   * 32 bytes in base64, for "private-encrypted-" channels
   */
  encryptionMasterKeyBase64?: string
}

/**
 * The driver contract. A driver delivers validated messages; the
 * broadcaster does naming, validation, size limits and failure policy.
 */
export interface BroadcastDriver {
  /**
   * Deliver messages. Several messages may be batched by the driver.
   * Rejects with BroadcastFailedException.
   */
  send(messages: BroadcastMessage[]): Promise<void>

  /**
   * Credentials able to sign channel authorizations, for drivers that have
   * them (pusher, local)
   */
  credentials?: PusherCredentials

  /**
   * Largest message a client may send to the server this driver serves,
   * in bytes, so the sign-in route can refuse what the server would.
   * Absent: Pusher's 10 KB
   */
  maxClientMessageBytes?: number

  /**
   * Release connections, sockets and timers
   */
  close?(): Promise<void>
}

/**
 * Who decides whether client events may be sent on a channel: the policy
 * service (its "clientEvents" flags, hot reloads included)
 */
export interface ClientEventsPolicy {
  clientEventsAllowed(channel: string): boolean
  /**
   * Loaded or not, and the last failure (health checks)
   */
  health?(): PolicyHealth
  /**
   * Loads the policies when they are not yet
   */
  load?(): Promise<unknown>
}

/**
 * What the broadcast manager hands a driver it creates
 */
export interface DriverContext {
  /**
   * The connection's name in "config/broadcast.ts"
   */
  connection: string
  logger: Logger
  policies?: ClientEventsPolicy
  /**
   * The app's events hub: the embedded server tells it what happens
   * (lifecycle events, publishes, counts), and the provider wires the
   * app's emitter, the metrics and the debug console to it
   */
  events?: EventsHub
}
