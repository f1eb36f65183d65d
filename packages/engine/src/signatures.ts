import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

/**
 * HMAC-SHA256 of a string in lowercase hex, as every Pusher signature
 */
export function hmacHex(secret: string, value: string): string {
  return createHmac('sha256', secret).update(value).digest('hex')
}

/**
 * MD5 hex of a raw body, as "body_md5"
 */
export function md5Hex(body: Buffer | string): string {
  return createHash('md5').update(body).digest('hex')
}

/**
 * Constant-time comparison of a given hex signature with the expected one
 */
export function hexEquals(given: unknown, expected: string): boolean {
  if (typeof given !== 'string' || given.length !== expected.length) return false
  return timingSafeEqual(Buffer.from(given, 'utf8'), Buffer.from(expected, 'utf8'))
}

/**
 * Checks an "auth" value "<key>:<hex HMAC of signed>" over the exact string
 * that was signed, in constant time
 */
export function verifyAuth(auth: unknown, key: string, secret: string, signed: string) {
  if (typeof auth !== 'string') return false
  const separator = auth.indexOf(':')
  if (separator === -1 || auth.slice(0, separator) !== key) return false
  return hexEquals(auth.slice(separator + 1), hmacHex(secret, signed))
}
