import { readFile, writeFile } from 'node:fs/promises'
import { BaseCommand, flags } from '@adonisjs/core/ace'
import { generateAppCredentials, setDotenvValues } from '../src/app_credentials.ts'

/**
 * Generates the app credentials of the embedded server into ".env", for a
 * clone whose ".env" came from ".env.example" (where the secret is empty).
 * Only ".env" is written: ".env.example" is the committed template.
 *
 * Runs without booting the app, so a missing variable does not stop it.
 *
 * @example
 * node ace broadcast:credentials
 * node ace broadcast:credentials --show
 * node ace broadcast:credentials --force
 */
export default class BroadcastCredentials extends BaseCommand {
  static commandName = 'broadcast:credentials'
  static description =
    'Generate the embedded server credentials (PUSHER_APP_ID, PUSHER_APP_KEY, PUSHER_APP_SECRET) into .env. Use --show to print them'

  @flags.boolean({ description: 'Print the credentials instead of writing them to .env' })
  declare show?: boolean

  @flags.boolean({ description: 'Replace the credentials already set in .env' })
  declare force?: boolean

  async run() {
    const credentials = generateAppCredentials()

    if (this.show) {
      for (const [name, value] of Object.entries(credentials)) {
        this.logger.log(`${name}=${value}`)
      }
      return
    }

    const envPath = this.app.makePath('.env')
    const contents = await readFile(envPath, 'utf8').catch((error) => {
      if (error.code === 'ENOENT') return ''
      throw error
    })
    const result = setDotenvValues(contents, credentials, { replace: this.force === true })
    if (result.written.length > 0) {
      await writeFile(envPath, result.contents)
    }

    for (const name of result.written) {
      this.logger.action(`write ${name} to .env`).succeeded()
    }
    for (const name of result.kept) {
      this.logger.action(`write ${name} to .env`).skipped('already set, --force replaces it')
    }
  }
}
