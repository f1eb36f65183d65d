import { readFile, writeFile } from 'node:fs/promises'
import { BaseCommand, flags } from '@adonisjs/core/ace'
import {
  CLIENT_ENV,
  generateAppCredentials,
  setDotenvValues,
} from '../src/drivers/app_credentials.ts'

/**
 * Generates the app credentials of the embedded server into ".env", for a
 * clone whose ".env" came from ".env.example" (where the secret is empty).
 * The credentials go to ".env" only: ".env.example" is the committed
 * template, and gets no more than the browser's "VITE_PUSHER_APP_KEY",
 * which names the key without holding it, when it lacks it.
 *
 * "--show" prints a freshly generated set and writes nothing: the
 * credentials in ".env" are not the ones printed.
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
    'Generate the embedded server credentials (PUSHER_APP_ID, PUSHER_APP_KEY, PUSHER_APP_SECRET, PUSHER_ENCRYPTION_MASTER_KEY_BASE64) into .env. Use --show to print them'

  @flags.boolean({
    description: 'Print newly generated credentials, not the ones in .env, and write nothing',
  })
  declare show?: boolean

  @flags.boolean({ description: 'Replace the credentials already set in .env' })
  declare force?: boolean

  async run() {
    const credentials = generateAppCredentials()

    if (this.show) {
      this.logger.log('# New credentials, not written (the ones in .env stay as they are):')
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
    const client = setDotenvValues(result.contents, CLIENT_ENV, { replace: false })
    if (client.written.length > 0 || result.written.length > 0) {
      await writeFile(envPath, client.contents)
    }

    for (const name of [...result.written, ...client.written]) {
      this.logger.action(`write ${name} to .env`).succeeded()
    }
    for (const name of result.kept) {
      this.logger.action(`write ${name} to .env`).skipped('already set, --force replaces it')
    }
    await this.#defineClientEnvInExample()
  }

  /**
   * The committed template names the browser's key too, so the next clone
   * gets a page that connects. Only when the app has one.
   */
  async #defineClientEnvInExample() {
    const examplePath = this.app.makePath('.env.example')
    const contents = await readFile(examplePath, 'utf8').catch(() => undefined)
    if (contents === undefined) return
    const result = setDotenvValues(contents, CLIENT_ENV, { replace: false })
    if (result.written.length === 0) return
    await writeFile(examplePath, result.contents)
    for (const name of result.written) {
      this.logger.action(`write ${name} to .env.example`).succeeded()
    }
  }
}
