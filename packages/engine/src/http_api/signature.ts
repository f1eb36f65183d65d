import { Refusal } from '../refusal.ts'
import { hexEquals, hmacHex, md5Hex } from '../signatures.ts'
import type { Query } from './request_url.ts'

const TIMESTAMP_WINDOW_SECONDS = 600

/**
 * Pusher's request signature (docs "Authentication"), from the query
 * alone: body_md5 is one of the signed parameters, so an unsigned request
 * is refused before a byte of its body is read
 */
export function verifySignature(app: SigningApp, method: string, path: string, query: Query) {
  if (query.auth_key !== app.key) throw new Refusal(401, 'Unknown auth_key')
  if (query.auth_version !== '1.0') throw new Refusal(401, 'auth_version must be 1.0')

  const timestamp = Number(query.auth_timestamp)
  const now = Math.floor(Date.now() / 1000)
  if (!Number.isFinite(timestamp) || Math.abs(now - timestamp) > TIMESTAMP_WINDOW_SECONDS) {
    throw new Refusal(
      401,
      `Timestamp expired: Given timestamp (${query.auth_timestamp}) not within ${TIMESTAMP_WINDOW_SECONDS}s of server time (${now})`
    )
  }

  const signed = Object.keys(query)
    .filter((key) => key !== 'auth_signature')
    .sort()
    .map((key) => `${key}=${query[key]}`)
    .join('&')
  const expected = hmacHex(app.secret, `${method}\n${path}\n${signed}`)
  if (!hexEquals(query.auth_signature, expected)) {
    throw new Refusal(
      401,
      `Invalid signature: expected the HMAC-SHA256 hex of "${method}\\n${path}\\n${signed}" with the app secret`
    )
  }
}

/**
 * The app's credentials a request is signed with
 */
export interface SigningApp {
  key: string
  secret: string
}

/**
 * A body is covered by the signature only through body_md5
 */
export function requireBodyMd5(query: Query) {
  if (query.body_md5 === undefined) {
    throw new Refusal(401, 'body_md5 is required with a request body')
  }
}

/**
 * The raw body, before any parsing, against the signed body_md5
 */
export function verifyBodyMd5(query: Query, raw: Buffer) {
  if (raw.length > 0 && !hexEquals(query.body_md5, md5Hex(raw))) {
    throw new Refusal(401, 'body_md5 does not match the body')
  }
}
