import type { IncomingMessage } from 'node:http'
import type { HttpContext } from '@adonisjs/core/http'

/**
 * Headers a proxy adds on the way in. A request holding any of them came
 * through a hop (or claims to), so its loopback TCP peer may be the proxy
 * on this machine speaking for anyone on the internet.
 */
const PROXY_HEADERS = [
  'forwarded',
  'via',
  'x-real-ip',
  'x-client-ip',
  'x-cluster-client-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
  'x-original-forwarded-for',
]

function isLoopback(address: string | undefined) {
  if (!address) return false
  const ip = address.startsWith('::ffff:') ? address.slice(7) : address
  return ip === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ip)
}

function hasProxyHeader(headers: IncomingMessage['headers']) {
  for (const name of Object.keys(headers)) {
    if (name.startsWith('x-forwarded-') || PROXY_HEADERS.includes(name)) return true
  }
  return false
}

/**
 * Whether the request comes from this machine directly: its TCP peer is a
 * loopback address AND it carries no proxy header (Forwarded, Via,
 * X-Forwarded-*, X-Real-IP...). What "request.ip()" says is not used: a
 * reverse proxy on the same machine makes every client 127.0.0.1 when it
 * forwards no address, and forwards a spoofable one when it does. The
 * default guard of "/metrics" ("metrics.shouldExpose").
 *
 * @example
 * shouldExpose: (ctx) => isLocalRequest(ctx) || hasMetricsToken(ctx)
 */
export function isLocalRequest(ctx: Pick<HttpContext, 'request'>): boolean {
  const raw = ctx.request.request
  return isLoopback(raw.socket?.remoteAddress) && !hasProxyHeader(raw.headers)
}
