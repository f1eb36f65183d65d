import type { ServerLimits } from '../limits.ts'
import type { SocketConnection } from './socket_connection.ts'
import { CloseCode, encodeFrame } from '../protocol.ts'

/**
 * Runs the liveness check on a timer: every half of the shorter of the
 * two timeouts, at most every 250 ms
 */
export function startLivenessTimer(
  sockets: Iterable<SocketConnection>,
  limits: ServerLimits,
  safely: (where: string, body: () => void) => void
) {
  const tick = Math.max(250, Math.min(limits.activityTimeout, limits.pongTimeout) * 500)
  return setInterval(
    () => safely('liveness timer', () => checkLiveness(sockets, limits, safely)),
    tick
  ).unref()
}

/**
 * Pings sockets idle for "activityTimeout" and closes with 4201 those
 * that do not answer within "pongTimeout". "safely" runs each socket's
 * check, so one failing socket never skips the others.
 */
export function checkLiveness(
  sockets: Iterable<SocketConnection>,
  limits: ServerLimits,
  safely: (where: string, body: () => void) => void
) {
  const now = Date.now()
  const idle = limits.activityTimeout * 1000
  const pong = limits.pongTimeout * 1000
  const ping = encodeFrame('pusher:ping', '{}')
  for (const socket of sockets) {
    safely('liveness check', () => {
      if (socket.pingedAt !== undefined) {
        if (now - socket.pingedAt > pong)
          socket.close(CloseCode.PONG_NOT_RECEIVED, 'Pong reply not received in time')
      } else if (now - socket.lastActivity >= idle) {
        socket.pingedAt = now
        socket.send(ping)
      }
    })
  }
}
