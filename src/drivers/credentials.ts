import { RuntimeException } from '@adonisjs/core/exceptions'
import type { PusherCredentials } from './types.ts'

/**
 * The variables "configure" writes each credential to
 */
const ENV_NAMES = {
  appId: 'PUSHER_APP_ID',
  key: 'PUSHER_APP_KEY',
  secret: 'PUSHER_APP_SECRET',
} as const

/**
 * Drivers that sign need all three credentials. Checked when the driver is
 * created, so a connection the app never uses cannot stop it from booting.
 */
export function assertCredentials(connection: string, config: Partial<PusherCredentials>) {
  for (const key of ['appId', 'key', 'secret'] as const) {
    if (!config[key]) {
      throw new RuntimeException(
        `Missing "${key}" for the "${connection}" broadcast connection: set ${ENV_NAMES[key]} in .env (node ace broadcast:credentials writes one)`
      )
    }
  }
}
