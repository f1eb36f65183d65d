import type { ServerLimits } from '../limits.ts'
import type { ChannelState } from '../state/channel_state.ts'
import type { SocketConnection } from '../connection/socket_connection.ts'
import type { LocalSockets } from '../connection/local_sockets.ts'
import type { UserChannelLimits } from './user_channel_limits.ts'
import type { LifecycleReporter } from '../lifecycle/lifecycle_reporter.ts'
import type { SubscriptionCounts } from './subscription_counts.ts'
import { ChannelAuthorization } from './channel_authorization.ts'
import { Subscription, type SubscriptionHost } from './subscription.ts'
import { StateCallOrder } from './state_call_order.ts'
import { Refusal } from '../refusal.ts'
import { encodeFrame, subscriptionErrorFrame } from '../protocol.ts'
import { serverChannelNameProblem, isCacheChannel } from '../channel_rules.ts'

/**
 * What the registry needs from the server: the app's credentials, this
 * node's sockets, the cluster's state, and a way to tell a channel on every
 * node
 */
export interface RegistryHost {
  key: string
  secret: string
  readonly local: LocalSockets
  readonly state: ChannelState
  /**
   * Sends a frame to the channel's sockets here at once and on the other
   * nodes through the bus; a bus failure is the host's to report
   */
  relay(channel: string, frame: string, exceptSocketId?: string): void
  /**
   * Where joins and leaves become lifecycle events
   */
  readonly lifecycle: LifecycleReporter
  readonly subscriptionCounts: SubscriptionCounts
}

/**
 * Handles "pusher:subscribe" and "pusher:unsubscribe": checks names, limits
 * and signatures, takes a Subscription through its steps, and answers the
 * socket (presence members, member_added for the others, the cached event)
 */
export class ChannelRegistry {
  #authorization: ChannelAuthorization
  #subscriptionHost: SubscriptionHost

  constructor(
    protected host: RegistryHost,
    protected limits: ServerLimits,
    userLimits: UserChannelLimits
  ) {
    this.#authorization = new ChannelAuthorization(host, limits)
    this.#subscriptionHost = { server: host, limits, userLimits, order: new StateCallOrder() }
  }

  /**
   * Handles "pusher:subscribe". A refusal is a channel-scoped
   * "pusher:subscription_error": the socket stays open and gets nothing
   * from that channel.
   */
  async subscribe(socket: SocketConnection, data: Record<string, unknown>) {
    const channel = data.channel
    const nameProblem = serverChannelNameProblem(channel)
    if (nameProblem) {
      socket.error(null, `Invalid subscription: ${nameProblem}`)
      return
    }
    const name = channel as string
    if (socket.subscriptions.has(name)) return
    const { subscriptionsPerSecond, maxChannelsPerSocket } = this.limits
    if (
      subscriptionsPerSecond > 0 &&
      !socket.takeSubscribe(subscriptionsPerSecond, maxChannelsPerSocket)
    ) {
      socket.send(
        subscriptionErrorFrame(
          name,
          429,
          `Too many subscribe requests: the limit is ${subscriptionsPerSecond} per second per connection`
        )
      )
      return
    }

    if (socket.subscriptions.size >= this.limits.maxChannelsPerSocket) {
      socket.send(
        subscriptionErrorFrame(
          name,
          400,
          `Too many channels: the limit is ${this.limits.maxChannelsPerSocket} per connection`
        )
      )
      return
    }

    /**
     * Frames of one TCP read are handled before any authorization settles:
     * an unsubscribe or a new subscribe of the channel in the meantime
     * replaces this subscription, and the stale one is dropped
     */
    const subscription = Subscription.open(socket, name, this.#subscriptionHost)
    try {
      const member = await this.#authorization.check(socket, name, data)
      if (!subscription.current) return
      subscription.admit(member)
    } catch (error) {
      const stillWanted = subscription.current
      void subscription.release()
      if (!(error instanceof Refusal)) throw error
      if (stillWanted) socket.send(subscriptionErrorFrame(name, error.status, error.message))
      return
    }

    const state = this.host.state
    const result = await subscription.join()
    // Left (or closed) while the state worked: that unsubscribe undid it.
    // Subscribed again meanwhile, this join's events stand: the next join
    // finds them done.
    if (socket.closed || !socket.subscriptions.subscribed(name)) return
    if (result.full) {
      void subscription.release()
      socket.send(subscriptionErrorFrame(name, 403, `Presence channel "${name}" is full`))
      return
    }
    if (result.tooManySockets) {
      // The user's sockets on the other nodes fill the limit: refused as here
      const refusal = subscription.tooManySockets()
      void subscription.release()
      socket.send(subscriptionErrorFrame(name, refusal.status, refusal.message))
      return
    }
    // Not "succeeded" before the other nodes' frames reach it too
    const receiving = subscription.deliver()
    if (receiving) {
      try {
        await receiving
      } catch (error) {
        void subscription.release()
        if (!(error instanceof Refusal)) throw error
        if (!socket.closed) socket.send(subscriptionErrorFrame(name, error.status, error.message))
        return
      }
      if (socket.closed || !socket.subscriptions.subscribed(name)) return
    }

    const member = subscription.member
    if (member) {
      const members = await state.members(name)
      const presence = {
        ids: [...members.keys()],
        hash: Object.fromEntries(members),
        count: members.size,
      }
      socket.send(
        encodeFrame('pusher_internal:subscription_succeeded', JSON.stringify({ presence }), name)
      )
      // The node whose join added the member tells every node; one that
      // came back within the leave delay was never reported gone
      if (result.memberAdded && !result.removalCancelled) {
        const added = JSON.stringify({ user_id: member.id, user_info: member.info })
        this.host.relay(name, encodeFrame('pusher_internal:member_added', added, name), socket.id)
      }
    } else {
      socket.send(encodeFrame('pusher_internal:subscription_succeeded', '{}', name))
    }

    if (isCacheChannel(name)) {
      const cached = await state.cachedEvent(name)
      socket.send(cached?.frame ?? encodeFrame('pusher:cache_miss', undefined, name))
      if (!cached) this.host.lifecycle.cacheMiss(name)
    }
  }

  /**
   * Handles "pusher:unsubscribe": silent, idempotent. One being
   * authorized is dropped (its authorization then finds it replaced).
   */
  async unsubscribe(socket: SocketConnection, channel: string) {
    await socket.subscriptions.get(channel)?.release()
  }

  /**
   * The socket closed: those being authorized are dropped at once, then
   * its channels are left one by one. One failing must not keep the
   * others (and their members) alive.
   */
  async unsubscribeAll(socket: SocketConnection, report: (error: unknown) => void) {
    for (const subscription of [...socket.subscriptions.authorizing]) {
      void subscription.release()
    }
    for (const subscription of [...socket.channels.values()]) {
      try {
        await subscription.release()
      } catch (error) {
        report(error)
      }
    }
    // Offline for the watchlists once its user's last socket left
    await socket.signedIn?.release().catch(report)
  }
}
