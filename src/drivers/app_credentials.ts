import { randomBytes, randomInt } from 'node:crypto'

/**
 * The env variables holding a Pusher-protocol app's credentials
 */
export type CredentialVariable =
  'PUSHER_APP_ID' | 'PUSHER_APP_KEY' | 'PUSHER_APP_SECRET' | 'PUSHER_ENCRYPTION_MASTER_KEY_BASE64'

/**
 * Fresh credentials for the embedded server (or any self-hosted
 * Pusher-protocol server): a numeric id as Pusher's, a public key and a
 * secret that signs channel authorizations, and the 32-byte master key of
 * "private-encrypted-" channels
 */
export function generateAppCredentials(): Record<CredentialVariable, string> {
  return {
    PUSHER_APP_ID: String(randomInt(100_000, 1_000_000)),
    PUSHER_APP_KEY: randomBytes(10).toString('hex'),
    PUSHER_APP_SECRET: randomBytes(20).toString('hex'),
    PUSHER_ENCRYPTION_MASTER_KEY_BASE64: randomBytes(32).toString('base64'),
  }
}

/**
 * What the browser reads, in ".env" and ".env.example" alike: Vite exposes
 * only "VITE_" variables, and interpolates the public key from the server's
 * own. Clients of the embedded server take its host and port from the page
 * ("location"), so the key is all they need.
 */
export const CLIENT_ENV = { VITE_PUSHER_APP_KEY: '${PUSHER_APP_KEY}' }

/**
 * The line of a dotenv file that assigns `name`, as the env parser reads it
 * (an optional "export " prefix, spaces around "=")
 */
function assignment(name: string) {
  return new RegExp(String.raw`^\s*(?:export\s+)?${name}\s*=(.*)$`)
}

/**
 * Whether a raw dotenv value is empty: nothing, or empty quotes
 */
function isEmptyValue(raw: string) {
  const value = raw.replace(/\s+#.*$/, '').trim()
  return value === '' || value === '""' || value === "''"
}

/**
 * Sets variables in the text of a dotenv file. A variable set to a
 * non-empty value is kept unless `replace`; an empty one (as copied from
 * .env.example) is filled; a missing one is appended. Other lines are
 * left as they are.
 */
export function setDotenvValues(
  contents: string,
  values: Record<string, string>,
  options: { replace: boolean }
): { contents: string; written: string[]; kept: string[] } {
  const eol = contents.includes('\r\n') ? '\r\n' : '\n'
  const lines = contents === '' ? [] : contents.replace(/\r?\n$/, '').split(/\r?\n/)
  const written: string[] = []
  const kept: string[] = []

  for (const [name, value] of Object.entries(values)) {
    const pattern = assignment(name)
    const index = lines.findIndex((line) => pattern.test(line))
    if (index === -1) {
      lines.push(`${name}=${value}`)
      written.push(name)
    } else if (options.replace || isEmptyValue(lines[index].match(pattern)![1])) {
      lines[index] = `${name}=${value}`
      written.push(name)
    } else {
      kept.push(name)
    }
  }

  return { contents: `${lines.join(eol)}${eol}`, written, kept }
}
