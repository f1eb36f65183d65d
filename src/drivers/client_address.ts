import proxyaddr from 'proxy-addr'
import type { ApplicationService } from '@adonisjs/core/types'
import type { ClientAddress } from '@adonisjs-broadcasting/engine'

type Trust = (address: string, hop: number) => boolean

/**
 * The WebSocket client's address as "request.ip()" finds it: through the
 * proxies the app trusts ("http.trustProxy" in "config/app.ts", "loopback"
 * by default), so a proxy on this machine forwards the real address and
 * a client anywhere else cannot choose its own. Undefined when the app has
 * no HTTP config (not booted, as in a test): the server takes the TCP peer.
 */
export function appClientAddress(
  app: Pick<ApplicationService, 'config'>
): ClientAddress | undefined {
  const trust = app.config?.get<Trust | boolean | string | string[] | undefined>(
    'app.http.trustProxy',
    undefined
  )
  if (trust === undefined) return undefined
  const trusted = compile(trust)
  return (req) => proxyaddr(req, trusted)
}

/**
 * What "defineConfig" of "@adonisjs/core/http" leaves, or a raw value as
 * proxy-addr takes it
 */
function compile(trust: Trust | boolean | string | string[]): Trust {
  if (typeof trust === 'function') return trust
  if (typeof trust === 'boolean') return () => trust
  return proxyaddr.compile(trust)
}
