import type { ServerMetrics } from './server_metrics.ts'

/**
 * Counts a frame published to a channel's local sockets, at publish time
 * rather than per socket: "recipients" is the channel's local count, less
 * the excluded sender (who is, in practice, subscribed). O(1), no
 * allocation: the byte length is measured, not encoded.
 */
export function countDelivery(
  metrics: ServerMetrics,
  recipients: number,
  excluded: boolean,
  frame: string | Buffer
) {
  const to = excluded && recipients > 0 ? recipients - 1 : recipients
  if (to > 0)
    metrics.delivered?.(to, typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length)
}
