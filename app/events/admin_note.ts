import { BroadcastEvent, EncryptedPrivateChannel } from 'adonisjs-broadcasting'

/**
 * A note only admins can read, even on the wire: "private-encrypted-"
 * channels are encrypted in the app (PUSHER_ENCRYPTION_MASTER_KEY_BASE64)
 * and decrypted by pusher-js with the key the auth route gives admins
 */
export default class AdminNote extends BroadcastEvent {
  constructor(public text: string) {
    super()
  }

  broadcastOn() {
    return new EncryptedPrivateChannel('admin-notes')
  }
}
