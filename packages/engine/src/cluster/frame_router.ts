import type { BusMessage } from '../bus/bus.ts'
import type { ClusterMembership } from './cluster_membership.ts'
import type { LocalSockets } from '../connection/local_sockets.ts'
import type { ServerEvents } from '../server_events.ts'
import { isCacheChannel } from '../channel_rules.ts'
import { ONLINE_CHANNEL_PREFIX, USER_CHANNEL_PREFIX } from '../channel_name.ts'
import { onlineChannel, type UserStatus } from '../connection/watchers.ts'
import { CloseCode, encodeFrame } from '../protocol.ts'
import { countDelivery } from '../connection/delivery_count.ts'

export interface FrameRouterOptions {
  local: LocalSockets
  /**
   * This node's place in its cluster: its bus and state once joined
   */
  membership: ClusterMembership
  cacheTtlMs: number
  report(error: unknown, where: string): void
  /**
   * Told of every event published from this node, and of deliveries
   */
  events: ServerEvents
}

/**
 * Where frames go: to this node's sockets at once, and to the other nodes
 * through the bus (and what the bus brings, to this node's sockets only)
 */
export class FrameRouter {
  constructor(protected options: FrameRouterOptions) {}

  /**
   * Sends an event to every socket of the channels but the excluded one, on
   * every node. This node's sockets have it when this returns (the frame
   * is serialized once per channel and the same Buffer goes to every
   * socket); the promise settles once the other nodes were told, and
   * rejects when the bus could not take it (also reported).
   */
  publish(channels: string[], event: string, data: string, exceptSocketId?: string) {
    this.options.events.emit('published', channels, event, data)
    const sent: Promise<void>[] = []
    for (const channel of channels) {
      const frame = encodeFrame(event, data, channel)
      sent.push(this.#publishFrame(channel, frame, exceptSocketId))
      if (isCacheChannel(channel)) sent.push(this.#cacheEvent(channel, frame))
    }
    return sent.length === 1 ? sent[0] : Promise.all(sent).then(() => {})
  }

  /**
   * Sends a frame to a channel on every node, for a caller with nobody to
   * tell of a bus failure (it is reported)
   */
  relay(channel: string, frame: string, exceptSocketId?: string) {
    this.#publishFrame(channel, frame, exceptSocketId).catch(() => {})
  }

  /**
   * Tells a presence channel on every node that a member left
   */
  memberRemoved(channel: string, userId: string) {
    if (channel.startsWith(ONLINE_CHANNEL_PREFIX)) return this.userStatus(userId, 'offline')
    const data = JSON.stringify({ user_id: userId })
    this.relay(channel, encodeFrame('pusher_internal:member_removed', data, channel))
  }

  /**
   * A message from another node: for this node's sockets only
   */
  receive(message: BusMessage) {
    if (message.type === 'publish' && message.channel.startsWith(ONLINE_CHANNEL_PREFIX)) {
      this.options.local.watchers.received(message.channel, message.frame)
    } else if (message.type === 'publish') {
      const { events, local } = this.options
      countDelivery(events, local, message.channel, message.exceptSocketId, message.frame)
      local.publish(message.channel, Buffer.from(message.frame), message.exceptSocketId)
    } else if (message.type === 'terminate_user') {
      this.#terminateLocal(message.userId)
    }
  }

  /**
   * A user went online or offline (decided once for the cluster): its
   * watchers here at once, those of the other nodes through the bus (the
   * nodes holding "#online-<id>"), the status's name as the frame
   */
  userStatus(userId: string, status: UserStatus) {
    this.options.local.watchers.changed(userId, status)
    this.#send({ type: 'publish', channel: onlineChannel(userId), frame: status }).catch(() => {})
  }

  /**
   * Sends an event to the sockets signed in as a user, on every node
   */
  toUser(userId: string, event: string, data: string) {
    return this.publish([`${USER_CHANNEL_PREFIX}${userId}`], event, data)
  }

  /**
   * Closes the user's signed-in sockets with 4009 (clients do not
   * reconnect), on every node
   */
  async terminateUser(userId: string) {
    this.#terminateLocal(userId)
    await this.#send({ type: 'terminate_user', userId })
  }

  #terminateLocal(userId: string) {
    this.options.local.forUser(userId, (socket) =>
      socket.close(CloseCode.UNAUTHORIZED, 'You got disconnected by the app.')
    )
  }

  #publishFrame(channel: string, frame: string, exceptSocketId?: string) {
    const { events, local } = this.options
    countDelivery(events, local, channel, exceptSocketId, frame)
    local.publish(channel, Buffer.from(frame), exceptSocketId)
    return this.#send({ type: 'publish', channel, frame, exceptSocketId })
  }

  async #cacheEvent(channel: string, frame: string) {
    try {
      const { membership } = this.options
      const cluster = membership.cluster ?? (await membership.whenJoined())
      await cluster.state.cacheEvent(channel, frame, this.options.cacheTtlMs)
    } catch (error) {
      this.options.report(error, 'caching an event')
      throw error
    }
  }

  /**
   * Hands a message to the other nodes. Not started: there is no cluster
   * to tell.
   */
  async #send(message: BusMessage) {
    const { membership } = this.options
    const ready = membership.ready
    if (!ready) return
    try {
      const cluster = membership.cluster ?? (await ready)
      await cluster.bus.send(message)
    } catch (error) {
      this.options.report(error, 'bus send')
      throw error
    }
  }
}
