import { HttpContext } from '@adonisjs/core/http'
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
