import type { ServerLimits } from './limits.ts'
import type { ChannelState, PresenceMember } from './state/channel_state.ts'
import type { SocketConnection } from './socket_connection.ts'
import type { LocalSockets } from './local_sockets.ts'
import type { UserChannelLimits } from './user_channel_limits.ts'
import type { LifecycleReporter } from './lifecycle_reporter.ts'
import type { SubscriptionCounts } from './subscription_counts.ts'
import { ChannelAuthorization } from './channel_authorization.ts'
import { Refusal } from './refusal.ts'
import { encodeFrame, subscriptionErrorFrame } from './protocol.ts'
import { channelKind, serverChannelNameProblem, isCacheChannel } from './channel_rules.ts'

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
 * Subscribes and unsubscribes sockets: checks names and signatures over
 * the exact signed strings, de-duplicates presence members by user id, and
 * tells the channel about members joining and leaving
 */
export class ChannelRegistry {
  /**
   * The last state call (join or leave) of each subscription, by
   * "socketId\nchannel": the next one waits for it, so a leave never
   * overtakes the join it undoes, whatever the state's round trips
   */
  #inFlight = new Map<string, Promise<unknown>>()
  #authorization: ChannelAuthorization

  constructor(
    protected host: RegistryHost,
    protected limits: ServerLimits,
    protected userLimits: UserChannelLimits
  ) {
    this.#authorization = new ChannelAuthorization(host, limits)
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
    if (socket.channels.has(name) || socket.pending.has(name)) return
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

    if (socket.channels.size + socket.pending.size >= this.limits.maxChannelsPerSocket) {
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
     * replaces this token, and the stale subscription is dropped
     */
    const token = Symbol(name)
    socket.setPending(name, token)
    const current = () => socket.pending.get(name) === token && !socket.closed

    let member: PresenceMember | undefined
    try {
      member = await this.#authorization.check(socket, name, data)
    } catch (error) {
      const stillWanted = current()
      if (stillWanted) socket.deletePending(name)
      if (!(error instanceof Refusal)) throw error
      if (stillWanted) socket.send(subscriptionErrorFrame(name, error.status, error.message))
      return
    }
    if (!current()) return
    socket.deletePending(name)

    const countAs = this.#countAs(socket, name, member)
    if (countAs !== undefined) {
      if (!this.userLimits.join(name, countAs)) {
        socket.send(
          subscriptionErrorFrame(
            name,
            403,
            `Too many connections of user "${countAs}" in "${name}": the limit is ${this.limits.maxSocketsPerUserPerChannel}`
          )
        )
        return
      }
      socket.countAs(name, countAs)
    }

    socket.channels.set(name, member ?? null)
    const state = this.host.state
    const result = await this.#inOrder(socket, name, () =>
      state.join(name, socket.id, member, member ? this.limits.maxPresenceMembers : undefined)
    )
    if (!result.full) {
      // Reported even if the socket left meanwhile: its leave is reported too
      this.host.lifecycle.joined(name, result, member?.id)
      this.host.subscriptionCounts.changed(name, true)
    }
    // Left (or closed) while the state worked: that unsubscribe undid it
    if (socket.closed || !socket.channels.has(name)) return
    if (result.full) {
      socket.channels.delete(name)
      if (countAs !== undefined) {
        socket.uncount(name)
        this.userLimits.leave(name, countAs)
      }
      socket.send(subscriptionErrorFrame(name, 403, `Presence channel "${name}" is full`))
      return
    }
    this.host.local.add(name, socket)

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
   * Handles "pusher:unsubscribe" and socket close: silent, idempotent
   */
  async unsubscribe(socket: SocketConnection, channel: string) {
    // Still being authorized: dropping the token cancels it
    if (socket.deletePending(channel)) return
    if (!socket.channels.has(channel)) return
    const userId = socket.channels.get(channel)?.id
    socket.channels.delete(channel)
    const countedAs = socket.countedAs.get(channel)
    if (countedAs !== undefined) {
      socket.uncount(channel)
      this.userLimits.leave(channel, countedAs)
    }
    this.host.local.remove(channel, socket)
    const { state, lifecycle } = this.host
    const result = await this.#inOrder(socket, channel, () =>
      state.leave(channel, socket.id, userId, lifecycle.leaveDelayFor(channel))
    )
    // The node whose leave removed the member tells every node, once the
    // removal stands (see LifecycleReporter)
    lifecycle.left(state, channel, result)
    this.host.subscriptionCounts.changed(channel)
  }

  /**
   * Runs a state call of one subscription after the previous one settled;
   * the first at once, so it is sent to the state in the caller's turn
   */
  #inOrder<T>(socket: SocketConnection, channel: string, call: () => Promise<T>): Promise<T> {
    const key = `${socket.id}\n${channel}`
    const previous = this.#inFlight.get(key)
    const next = previous ? previous.then(call, call) : call()
    this.#inFlight.set(key, next)
    const forget = () => {
      if (this.#inFlight.get(key) === next) this.#inFlight.delete(key)
    }
    next.then(forget, forget)
    return next
  }

  /**
   * The user a subscription counts under for the per-user limits: the
   * presence member, or the signed-in user on a private channel. Public
   * and user channels carry nothing a user could multiply.
   */
  #countAs(socket: SocketConnection, channel: string, member?: PresenceMember) {
    if (member) return member.id
    const kind = channelKind(channel)
    return kind === 'private' || kind === 'encrypted' ? socket.userId : undefined
  }
}
