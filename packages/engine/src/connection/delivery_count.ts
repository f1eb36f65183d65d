import type { ServerEvents } from '../server_events.ts'

/**
 * Tells of a frame published to a channel's local sockets, at publish time
 * rather than per socket: the recipients are the channel's local count,
 * less the excluded sender (who is, in practice, subscribed). O(1), no
 * allocation, and nothing measured while nobody listens.
 */
export function countDelivery(
  events: ServerEvents,
  recipients: number,
  exceptSocketId: string | undefined,
  frame: string | Buffer
) {
  if (!events.has('delivered')) return
  const to = exceptSocketId !== undefined && recipients > 0 ? recipients - 1 : recipients
  if (to > 0) {
    events.emit(
      'delivered',
      to,
      typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length
    )
  }
}
