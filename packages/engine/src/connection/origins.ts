import { RuntimeException } from '@poppinss/exception'

/**
 * Whether a WebSocket upgrade's Origin header is allowed
 */
export type OriginCheck = (origin: string | undefined) => boolean

interface OriginRule {
  scheme?: string
  host: string
  subdomains: boolean
  port?: string
}

const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443', ws: '80', wss: '443' }

/**
 * Compiles "allowedOrigins". Entries, matched with string comparisons only
 * (no regular expression, so no input can make matching slow):
 *
 * - "*": any origin (the default, as on Pusher and Reverb)
 * - "https://app.example.com", "http://localhost:3333": that scheme, host
 *   and port exactly
 * - "app.example.com", "localhost": that host on any scheme and port
 * - "*.example.com", "https://*.example.com": any subdomain of example.com
 *   (example.com itself needs its own entry)
 *
 * A request without an Origin header (not a browser) is let through:
 * browsers always send one, and any other client can send whatever it
 * likes, so refusing them would protect nothing.
 */
export function originCheck(allowed: string[] | undefined): OriginCheck {
  if (!allowed || allowed.includes('*')) return () => true
  const rules = allowed.map(compileRule)
  return (origin) => {
    if (origin === undefined) return true
    const parsed = parseOrigin(origin)
    return parsed !== null && rules.some((rule) => matches(rule, parsed))
  }
}

function matches(rule: OriginRule, origin: { scheme: string; host: string; port: string }) {
  if (rule.scheme !== undefined && rule.scheme !== origin.scheme) return false
  if (rule.port !== undefined && rule.port !== origin.port) return false
  return rule.subdomains ? origin.host.endsWith(`.${rule.host}`) : origin.host === rule.host
}

/**
 * Scheme, lowercase host and effective port of an Origin header; null for
 * "null" (sandboxed pages, file://) and anything that is not an origin
 */
function parseOrigin(origin: string) {
  const url = URL.parse(origin)
  if (!url || !url.host) return null
  const scheme = url.protocol.slice(0, -1)
  return { scheme, host: url.hostname, port: url.port || DEFAULT_PORTS[scheme] || '' }
}

function compileRule(entry: string): OriginRule {
  const invalid = (why: string) =>
    new RuntimeException(
      `Invalid entry "${entry}" in "allowedOrigins" of the local broadcast connection: ${why}. Use "https://app.example.com", "app.example.com", "*.example.com" or "*"`
    )
  let rest = entry.trim().toLowerCase()
  let scheme: string | undefined
  const separator = rest.indexOf('://')
  if (separator !== -1) {
    scheme = rest.slice(0, separator)
    rest = rest.slice(separator + 3)
  }
  rest = rest.endsWith('/') ? rest.slice(0, -1) : rest
  if (rest === '' || rest.includes('/')) throw invalid('expected an origin, without a path')
  const subdomains = rest.startsWith('*.')
  if (subdomains) rest = rest.slice(2)
  if (rest.includes('*')) throw invalid('"*" is only allowed alone or as the first label ("*.")')

  const url = URL.parse(`${scheme ?? 'http'}://${rest}`)
  const path = url?.pathname
  if (
    !url ||
    !url.hostname ||
    (path !== '/' && path !== '') ||
    url.search ||
    url.hash ||
    url.username
  ) {
    throw invalid('expected an origin, without a path')
  }
  // No port: any port without a scheme, the scheme's default port with one
  const explicitPort = /:(\d+)$/.exec(rest)?.[1]
  const port =
    explicitPort !== undefined
      ? String(Number(explicitPort))
      : scheme !== undefined
        ? DEFAULT_PORTS[scheme]
        : undefined
  return { scheme, host: url.hostname, subdomains, port }
}
