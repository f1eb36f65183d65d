import { randomBytes } from 'node:crypto'
import nacl from 'tweetnacl'
import PusherSdk from 'pusher'
import { WebSocket } from 'ws'
import { RawClient } from './server_clients.ts'

/**
 * End-to-end encrypted channels as the tests see them: the official SDK
 * holding a master key, and the raw bytes a subscriber receives
 */

export function newMasterKey() {
  return randomBytes(32).toString('base64')
}

/**
 * The "pusher" SDK for an app, holding its master key: it signs, computes
 * each channel's key (channelSharedSecret) and encrypts what it triggers
 */
export function encryptingSdk(
  app: { appId: string; key: string; secret: string },
  masterKey: string,
  port: number
) {
  return new PusherSdk({
    ...app,
    host: '127.0.0.1',
    port: String(port),
    useTLS: false,
    encryptionMasterKeyBase64: masterKey,
  })
}

/**
 * A raw WebSocket subscribed to an encrypted channel with a valid
 * signature: "wire" is every text frame exactly as it arrived
 */
export async function wireTap(port: number, key: string, channel: string, signer: PusherSdk) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/app/${key}?protocol=7`)
  const wire: string[] = []
  ws.on('message', (raw) => wire.push(raw.toString()))
  const client = await RawClient.open(ws)
  // pusher-js strips "shared_secret" before subscribing: so does this
  const { auth } = signer.authorizeChannel(client.socketId, channel)
  client.send({ event: 'pusher:subscribe', data: { auth, channel } })
  await client.next((frame) => frame.event === 'pusher_internal:subscription_succeeded')
  return { client, wire }
}

/**
 * The plaintext of an encrypted event's data, opened with the channel's
 * key as pusher-js does; null when it does not open
 */
export function openSealed(data: { nonce: string; ciphertext: string }, sharedSecret: Buffer) {
  const opened = nacl.secretbox.open(
    Buffer.from(data.ciphertext, 'base64'),
    Buffer.from(data.nonce, 'base64'),
    sharedSecret
  )
  return opened === null ? null : Buffer.from(opened).toString('utf8')
}
