/**
 * The largest message a client may send on Pusher Channels (10 KB), also
 * the embedded server's default "maxMessageBytes"
 */
export const PUSHER_MAX_CLIENT_MESSAGE_BYTES = 10_240

/**
 * Bytes of the "pusher:signin" message a client sends with a sign-in
 * answer, as pusher-js serializes it: "user_data" is a JSON string inside
 * JSON, so its quotes and backslashes are escaped twice
 */
export function signInMessageBytes(signed: { auth: string; user_data: string }): number {
  return Buffer.byteLength(JSON.stringify({ event: 'pusher:signin', data: signed }))
}
