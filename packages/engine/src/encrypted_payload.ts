import { channelType } from './channel_name.ts'

/**
 * Why an event's data cannot go to an end-to-end encrypted channel
 * ("private-encrypted-"), or null. The server never holds the keys, so it
 * cannot encrypt: what it relays there must already be what the server SDKs
 * send, the JSON string {"nonce": base64, "ciphertext": base64}, made with
 * that one channel's key (so one event, one encrypted channel).
 */
export function encryptedPayloadProblem(channels: string[], data: string): string | null {
  const encrypted = channels.filter((name) => channelType(name) === 'encrypted')
  if (encrypted.length === 0) return null
  if (channels.length > 1) {
    return `An event to an encrypted channel ("${encrypted[0]}") must go to that channel alone: each encrypted channel has its own key`
  }
  if (!isSealed(data)) {
    return `"${encrypted[0]}" is an encrypted channel: "data" must be the JSON string {"nonce", "ciphertext"} a Pusher server SDK with "encryptionMasterKeyBase64" sends, not plaintext`
  }
  return null
}

/**
 * Whether data has the shape the SDKs' encryption gives it. Its size is
 * already bounded by the event size limit.
 */
function isSealed(data: string): boolean {
  let value: unknown
  try {
    value = JSON.parse(data)
  } catch {
    return false
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const { nonce, ciphertext } = value as Record<string, unknown>
  return (
    typeof nonce === 'string' && nonce !== '' && typeof ciphertext === 'string' && ciphertext !== ''
  )
}
