import type { ServerLimits } from '../limits.ts'
import type { SocketConnection } from '../connection/socket_connection.ts'
import { ErrorCode } from '../protocol.ts'
import { SignedInUser, type SignInHost } from './signed_in_user.ts'
import { watchlistIds } from './watchlist_ids.ts'

/**
 * What follows a "pusher:signin_success": the socket counts as online for
 * its user, and its "user_data.watchlist" (at most "maxWatchlistSize"
 * ids, the rest dropped with 4302 as Pusher does) is watched
 */
export class SignIns {
  constructor(
    protected host: SignInHost,
    protected limits: ServerLimits
  ) {}

  signedIn(socket: SocketConnection, userId: string, userData: Record<string, unknown>) {
    // Closed meanwhile: its close gave back what it held, nothing more to hold.
    // Signed in already (as the same user): the first watchlist stays, so a
    // sign-in replayed in a loop costs no state look-ups
    if (socket.closed || socket.signedIn) return
    const signedIn = new SignedInUser(socket, userId, this.host)
    socket.signedIn = signedIn
    signedIn.join()
    const { maxWatchlistSize, maxUserIdLength } = this.limits
    const { ids, over } = watchlistIds(userData.watchlist, maxWatchlistSize, maxUserIdLength)
    if (over) {
      socket.error(
        ErrorCode.WATCHLIST_LIMIT,
        `Watchlist limit exceeded: the first ${maxWatchlistSize} ids are kept`
      )
    }
    return signedIn.watch(ids)
  }
}
