import { createHash } from 'node:crypto'
import nacl from 'tweetnacl'
import { channelType } from '@adonisjs-broadcasting/engine/rules'
import type { BroadcastMessage } from './types.ts'
import { E_CANNOT_ENCRYPT, E_PAYLOAD_TOO_LARGE } from '../errors.ts'

/**
 * End-to-end encryption of "private-encrypted-" channels, done in the app
 * exactly as the official "pusher" SDK does it (lib/events.js), so the
 * unmodified pusher-js decrypts it: the server relays and holds no key.
 */
export class ChannelEncryption {
  #masterKey?: Buffer

  /**
   * The connection's "encryptionMasterKeyBase64": 32 bytes in base64
   */
  constructor(masterKeyBase64?: string) {
    if (!masterKeyBase64) return
    const key = Buffer.from(masterKeyBase64, 'base64')
    if (key.length !== 32) {
      // The key is a secret: its length only, never its value
      throw new Error(`"encryptionMasterKeyBase64" must be 32 bytes in base64, not ${key.length}`)
    }
    this.#masterKey = key
  }

  get configured(): boolean {
    return this.#masterKey !== undefined
  }

  /**
   * The channel's key, SHA-256 of its name then the master key (the SDK's
   * "channelSharedSecret"); the auth route answers it base64-encoded
   */
  sharedSecret(channel: string): Buffer {
    if (!this.#masterKey) throw new Error('No "encryptionMasterKeyBase64" to derive a key from')
    return createHash('sha256')
      .update(Buffer.concat([Buffer.from(channel), this.#masterKey]))
      .digest()
  }

  /**
   * The messages as they go on the wire: an event's encrypted channels
   * each get a message of their own with the SDK's {"nonce", "ciphertext"}
   * data (each channel has its own key; a fresh random nonce each), its
   * other channels one message in the clear, as the pusher driver sends
   * them. Refuses (E_CANNOT_ENCRYPT) before anything is sent without a
   * master key, and an event whose encrypted data is over "maxBytes"
   * (base64 adds a third): the server and Pusher count what is on the wire.
   */
  seal(messages: BroadcastMessage[], maxBytes: number): BroadcastMessage[] {
    return messages.flatMap((message) => {
      const encrypted = message.channels.filter((name) => channelType(name) === 'encrypted')
      if (encrypted.length === 0) return [message]
      if (!this.#masterKey) {
        throw new E_CANNOT_ENCRYPT([
          message.event,
          encrypted[0],
          'the connection has no "encryptionMasterKeyBase64" (node ace broadcast:credentials writes PUSHER_ENCRYPTION_MASTER_KEY_BASE64 to .env)',
        ])
      }
      const sealed = encrypted.map((channel) => {
        const data = this.encrypt(channel, message.data)
        const size = Buffer.byteLength(data)
        if (size > maxBytes) throw new E_PAYLOAD_TOO_LARGE([message.event, size, maxBytes])
        return { ...message, channels: [channel], data }
      })
      const clear = message.channels.filter((name) => channelType(name) !== 'encrypted')
      return clear.length > 0 ? [{ ...message, channels: clear }, ...sealed] : sealed
    })
  }

  /**
   * The JSON string {"nonce", "ciphertext"} of data (already JSON) sealed
   * with the channel's key
   */
  encrypt(channel: string, data: string): string {
    const nonce = nacl.randomBytes(nacl.secretbox.nonceLength)
    const ciphertext = nacl.secretbox(Buffer.from(data), nonce, this.sharedSecret(channel))
    return JSON.stringify({
      nonce: Buffer.from(nonce).toString('base64'),
      ciphertext: Buffer.from(ciphertext).toString('base64'),
    })
  }
}
