import type { ServerLimits } from '../limits.ts'
import type { LocalSockets } from '../connection/local_sockets.ts'
import type { LifecycleReporter } from '../lifecycle/lifecycle_reporter.ts'
import type { SocketConnection } from '../connection/socket_connection.ts'
import type { SubscriptionCounts } from './subscription_counts.ts'
import type { UserChannelLimits } from './user_channel_limits.ts'
import type {
  ChannelState,
  JoinResult,
  PresenceMember,
  SocketOwner,
} from '../state/channel_state.ts'
import type { HeldSubscription } from '../connection/socket_subscriptions.ts'
import type { StateCallOrder } from './state_call_order.ts'
import { channelType } from '../channel_name.ts'
import { Refusal } from '../refusal.ts'

/**
 * What a subscription takes its steps in: the server's local index, state,
 * lifecycle events and counts, the per-user limits, and the order of each
 * socket's state calls in a channel (one for the server)
 */
export interface SubscriptionHost {
  readonly server: {
    readonly local: LocalSockets
    readonly state: ChannelState
    readonly lifecycle: LifecycleReporter
    readonly subscriptionCounts: SubscriptionCounts
  }
  readonly limits: ServerLimits
  readonly userLimits: UserChannelLimits
  readonly order: StateCallOrder
}

/**
 * One socket in one channel, from its "pusher:subscribe" to its end. It
 * takes its holds one step at a time: the channel's entry in the socket's
 * subscriptions while it is authorized, then a count under its user and a
 * place among the socket's channels, a join of the channel state, and the
 * local index that frames are delivered through. Whichever way it ends (a
 * refusal, an unsubscribe, the socket closing), release() gives back what
 * it holds, and only that.
 */
export class Subscription implements HeldSubscription {
  member: PresenceMember | null = null
  countedAs?: string
  /**
   * How far it got: "joined" once its join is sent to the state, until
   * the state refuses it (then a release has no leave to send)
   */
  #step: 'authorizing' | 'subscribed' | 'joined' | 'released' = 'authorizing'

  /**
   * A subscription being authorized, in the channel's entry of the socket
   */
  static open(socket: SocketConnection, channel: string, host: SubscriptionHost) {
    const subscription = new Subscription(socket, channel, host)
    socket.subscriptions.add(subscription)
    return subscription
  }

  protected constructor(
    readonly socket: SocketConnection,
    readonly channel: string,
    protected host: SubscriptionHost
  ) {}

  /**
   * Still the socket's subscription of the channel, the socket open: an
   * unsubscribe or a new subscribe of the channel replaces it meanwhile
   */
  get current() {
    return !this.socket.closed && this.socket.subscriptions.get(this.channel) === this
  }

  /**
   * Authorized: counts it under its user for the per-user limits, and the
   * channel is one of the socket's. Throws a refusal, holding no more,
   * when the user is at its limit.
   */
  admit(member: PresenceMember | undefined) {
    const countAs = this.#countAs(member)
    if (countAs !== undefined) {
      // This node's sockets alone at the limit: no need to ask the state
      if (!this.host.userLimits.join(this.channel, countAs)) throw this.tooManySockets(countAs)
      this.countedAs = countAs
    }
    this.member = member ?? null
    this.#step = 'subscribed'
    this.socket.subscriptions.list(this)
  }

  /**
   * Joins the channel state once the socket's previous call about the
   * channel settled. The join is reported even if the socket left
   * meanwhile: its leave is reported too.
   */
  async join(): Promise<JoinResult> {
    const { state, lifecycle, subscriptionCounts } = this.host.server
    const { maxPresenceMembers, maxSocketsPerUserPerChannel } = this.host.limits
    const member = this.member ?? undefined
    const maxMembers = member ? maxPresenceMembers : undefined
    const owner = this.#owner(maxSocketsPerUserPerChannel)
    this.#step = 'joined'
    const result = await this.#inOrder(() =>
      state.join(this.channel, this.socket.id, member, maxMembers, owner)
    )
    if (result.full || result.tooManySockets) {
      if (this.#step === 'joined') this.#step = 'subscribed'
    } else {
      lifecycle.joined(this.channel, result, member?.id)
      subscriptionCounts.changed(this.channel, true)
    }
    return result
  }

  /**
   * Frames of the channel reach the socket from now on, those of the other
   * nodes once what it returns (if anything) resolves: its node subscribed
   * to the channel on the bus
   */
  deliver() {
    return this.host.server.local.add(this.channel, this.socket)
  }

  /**
   * The state lost this node: it joins again. Not queued behind its own
   * join, which is idempotent with this one.
   */
  rejoin(state: ChannelState) {
    // Counted under its user again, never refused: it was admitted
    const owner = this.#owner(0)
    return state.join(this.channel, this.socket.id, this.member ?? undefined, undefined, owner)
  }

  /**
   * The refusal of a socket whose user holds the limit of sockets in the
   * channel, on this node or on every node together
   */
  tooManySockets(userId = this.countedAs) {
    return new Refusal(
      403,
      `Too many connections of user "${userId}" in "${this.channel}": the limit is ${this.host.limits.maxSocketsPerUserPerChannel}`
    )
  }

  /**
   * The user it counts under in the state, for the limit across nodes
   */
  #owner(maxSockets: number): SocketOwner | undefined {
    return this.countedAs === undefined ? undefined : { userId: this.countedAs, maxSockets }
  }

  /**
   * Gives back what it holds, in one turn but for the state's leave,
   * which waits for the join it undoes; the leave is reported once it
   * stands. Once: later calls find nothing to give back.
   */
  async release() {
    const step = this.#step
    if (step === 'released') return
    this.#step = 'released'
    this.socket.subscriptions.remove(this)
    if (step === 'authorizing') return
    const { server, userLimits } = this.host
    if (this.countedAs !== undefined) userLimits.leave(this.channel, this.countedAs)
    server.local.remove(this.channel, this.socket)
    if (step !== 'joined') return
    const { state, lifecycle, subscriptionCounts } = server
    const result = await this.#inOrder(() =>
      state.leave(
        this.channel,
        this.socket.id,
        this.member?.id,
        lifecycle.leaveDelayFor(this.channel)
      )
    )
    // The node whose leave removed the member tells every node, once the
    // removal stands (see LifecycleReporter)
    lifecycle.left(state, this.channel, result)
    subscriptionCounts.changed(this.channel)
  }

  #inOrder<T>(call: () => Promise<T>) {
    return this.host.order.run(this.socket.id, this.channel, call)
  }

  /**
   * The user it counts under for the per-user limits: the presence
   * member, or the signed-in user on a private channel. Public and user
   * channels carry nothing a user could multiply.
   */
  #countAs(member?: PresenceMember) {
    if (member) return member.id
    const kind = channelType(this.channel)
    return kind === 'private' || kind === 'encrypted' ? this.socket.userId : undefined
  }
}
