import type { ServerEvents } from '../server_events.ts'
import type { LocalSockets } from './local_sockets.ts'

/**
 * Tells of a frame published to a channel's local sockets, at publish time
 * rather than per socket: the recipients are this node's sockets of the
 * channel but the excluded sender, when it is one of them (a frame from
 * another node usually excludes a socket of that node). O(1), no
 * allocation, and nothing measured while nobody listens.
 */
export function countDelivery(
  events: ServerEvents,
  local: LocalSockets,
  channel: string,
  exceptSocketId: string | undefined,
  frame: string | Buffer
) {
  if (!events.has('delivered')) return
  const to = local.recipients(channel, exceptSocketId)
  if (to > 0) {
    events.emit(
      'delivered',
      to,
      typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length
    )
  }
}
