import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { LocalDriver } from '../src/drivers/local.ts'
import type { BroadcastManager } from '../src/broadcast_manager.ts'

/**
 * Runs the embedded Pusher-protocol server (WebSockets + HTTP API) on a
 * port of its own, for apps that keep sockets out of the web process.
 * The web process then broadcasts with the "pusher" driver pointed at it.
 *
 * @example
 * node ace broadcast:serve --port=6001
 */
export default class BroadcastServe extends BaseCommand {
  static commandName = 'broadcast:serve'
  static description = 'Run the broadcasting WebSocket server and Pusher HTTP API on their own port'
  static options: CommandOptions = { startApp: true, staysAlive: true }

  @flags.number({ description: 'Port to listen on', default: 6001 })
  declare port: number

  @flags.string({ description: 'Host to bind', default: '0.0.0.0' })
  declare host: string

  @flags.string({
    description: 'A "local" connection of config/broadcast.ts (default: the default one)',
  })
  declare connection?: string

  async run() {
    const broadcast: BroadcastManager<any> = await this.app.container.make('broadcast')
    const name = this.connection ?? broadcast.config.default
    const driver = broadcast.driver(name)
    if (!(driver instanceof LocalDriver)) {
      this.logger.error(`The "${name}" broadcast connection does not use the "local" driver`)
      this.exitCode = 1
      await this.terminate()
      return
    }

    /**
     * Client events follow the policies: load them (a bad file stops here,
     * with its position) and follow edits when configured
     */
    const policies = await this.app.container.make('broadcast.policies')
    try {
      await policies.load()
    } catch (error) {
      this.logger.error((error as Error).message)
      this.exitCode = 1
      await this.terminate()
      return
    }
    if (policies.config.watch) policies.watch()

    const { host, port } = await driver.listen(this.port, this.host)
    this.logger.success(
      `Broadcast server on ws://${host}:${port}/app/${driver.credentials.key} (HTTP API /apps/${driver.credentials.appId})`
    )

    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve)
      process.once('SIGTERM', resolve)
    })
    this.logger.info('closing the broadcast server')
    policies.close()
    await driver.close()
    await this.terminate()
  }
}
