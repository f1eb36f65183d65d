import type { ChannelState } from '../state/channel_state.ts'
import type { LifecycleReporter } from '../lifecycle/lifecycle_reporter.ts'
import type { SocketConnection } from '../connection/socket_connection.ts'
import type { LocalSockets } from '../connection/local_sockets.ts'
import { onlineChannel, type UserStatus } from '../connection/watchers.ts'

/**
 * What a signed-in socket needs of the server
 */
export interface SignInHost {
  readonly server: {
    readonly state: ChannelState
    readonly lifecycle: LifecycleReporter
    readonly local: LocalSockets
  }
  /**
   * Tells the user's watchers on every node of its status (once for the
   * cluster): the frame router
   */
  frames(): { userStatus(userId: string, status: UserStatus): void }
  report(error: unknown, where: string): void
}

/**
 * A socket's sign-in in the cluster: it counts as one of its user's
 * signed-in sockets (a member of "#online-<id>" in the channel state, so
 * the first one anywhere makes the user online and the last one offline,
 * after the leave-event delay, as a presence member), and it watches the
 * users of its watchlist. release() gives both back; once.
 */
export class SignedInUser {
  #joined?: Promise<unknown>
  /** Watched users: set once, by the socket's first sign-in */
  #watching: string[] = []
  #released = false

  constructor(
    readonly socket: SocketConnection,
    readonly userId: string,
    protected host: SignInHost
  ) {}

  /**
   * Counts the socket among its user's; the first one announces the user
   */
  join() {
    this.#joined ??= this.host.server.state
      .join(onlineChannel(this.userId), this.socket.id, { id: this.userId, info: null })
      .then((result) => {
        if (result.memberAdded && !result.removalCancelled) {
          this.host.frames().userStatus(this.userId, 'online')
        }
      })
      .catch((error) => this.host.report(error, 'signing in'))
  }

  /**
   * Watches these users; sends their state once the other nodes' changes
   * of them reach this node
   */
  async watch(userIds: string[]) {
    if (this.#released) return
    const { watchers } = this.host.server.local
    const { state } = this.host.server
    this.#watching = userIds
    try {
      await watchers.watch(this.socket, userIds)
      const online = await Promise.all(userIds.map((id) => state.hasMember(onlineChannel(id), id)))
      if (this.#released) return
      watchers.start(this.socket, new Map(userIds.map((id, index) => [id, online[index]])))
    } catch (error) {
      this.host.report(error, 'watchlist')
      // Without the state at sign-in: the changes that reach this node still flow
      if (!this.#released) watchers.start(this.socket, new Map())
    }
  }

  /**
   * The state lost this node: counts the socket again (idempotent)
   */
  rejoin(state: ChannelState) {
    return state.join(onlineChannel(this.userId), this.socket.id, { id: this.userId, info: null })
  }

  /**
   * The socket closed: watches nobody, and no longer counts for its user
   * once its join settled
   */
  async release() {
    if (this.#released) return
    this.#released = true
    const { watchers } = this.host.server.local
    const { state, lifecycle } = this.host.server
    watchers.unwatch(this.socket, this.#watching)
    if (!this.#joined) return
    await this.#joined
    const channel = onlineChannel(this.userId)
    const result = await state.leave(
      channel,
      this.socket.id,
      this.userId,
      lifecycle.leaveDelayFor(channel)
    )
    // The removal, once it stands, reaches the watchers (FrameRouter.memberRemoved)
    lifecycle.left(state, channel, result)
  }
}
