import { Refusal } from '../refusal.ts'

/**
 * Query parameters by lower-cased name, percent-decoded
 */
export type Query = Record<string, string>

/**
 * A request URL cut at its "?": the path as sent (the signature covers it
 * undecoded) and the raw query string
 */
export function splitUrl(url: string) {
  const queryStart = url.indexOf('?')
  return {
    path: queryStart === -1 ? url : url.slice(0, queryStart),
    search: queryStart === -1 ? '' : url.slice(queryStart + 1),
  }
}

/**
 * Query parameters, percent-decoded: the SDK signs raw values such as
 * "info=user_count,subscription_count" ("+" is not a space here)
 */
export function parseQuery(search: string): Query {
  const query: Query = {}
  for (const pair of search.split('&')) {
    if (!pair) continue
    const separator = pair.indexOf('=')
    const key = decode(separator === -1 ? pair : pair.slice(0, separator)).toLowerCase()
    query[key] = separator === -1 ? '' : decode(pair.slice(separator + 1))
  }
  return query
}

/**
 * A percent-decoded URL part; malformed encoding is the client's fault (400)
 */
export function decode(value: string) {
  const decoded = safeDecode(value)
  if (decoded === undefined) throw new Refusal(400, 'Malformed percent-encoding')
  return decoded
}

/**
 * A percent-decoded URL part, or undefined where decoding would throw
 */
export function safeDecode(value: string) {
  try {
    return decodeURIComponent(value)
  } catch {
    return undefined
  }
}
