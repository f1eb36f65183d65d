import { HttpContext } from '@adonisjs/core/http'
import { SOCKET_ID_PATTERN } from '@adonisjs-broadcasting/engine/rules'
import { assertSocketId } from './socket_id.ts'

/**
 * The socket id the current request came from, as laravel-echo's
 * interceptors send it in the X-Socket-ID header. Undefined outside a
 * request or when the header is absent.
 */
export function currentSocketId(): string | undefined {
  const header = HttpContext.get()?.request.header('x-socket-id')
  return header ? assertSocketId(header) : undefined
}

/**
 * The sender's socket as an event captures it to be excluded later (from a
 * queue worker, after a commit): never throws, since the event may be
 * dispatched once the request's work is done. A header that is not a
 * socket id is kept out of the message and reported as "malformed" (its
 * first 40 characters).
 */
export type SenderSocket = { socketId?: string; malformed?: string }

export function currentSenderSocket(): SenderSocket {
  const header = HttpContext.get()?.request.header('x-socket-id')
  if (!header) return {}
  return SOCKET_ID_PATTERN.test(header) ? { socketId: header } : { malformed: header.slice(0, 40) }
}

/**
 * Whether the current request has an authenticated user. Reads "ctx.auth"
 * structurally, so the package does not depend on @adonisjs/auth.
 */
export async function currentRequestIsAuthenticated(): Promise<boolean> {
  const ctx = HttpContext.get() as
    (HttpContext & { auth?: { check(): Promise<boolean>; user?: unknown } }) | null
  if (!ctx?.auth) {
    return false
  }
  return ctx.auth.user !== undefined ? true : await ctx.auth.check()
}
