import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

/**
 * Lists the loaded channel patterns in the order they are tried
 */
export default class BroadcastPolicies extends BaseCommand {
  static commandName = 'broadcast:policies'
  static description = 'List the channel policy patterns in precedence order, with their rules'
  static options: CommandOptions = { startApp: true }

  @flags.string({ description: 'Policy file or folder (default: the configured policies)' })
  declare policies?: string

  async run() {
    const { ChannelPolicies } = await import('../src/policies/main.ts')
    const broadcast = await this.app.container.make('broadcast')

    let policies
    try {
      policies = this.policies
        ? await ChannelPolicies.load(this.app.makePath(this.policies), {
            predicates: broadcast.config.policies?.predicates,
          })
        : await broadcast.policies()
    } catch (error) {
      this.logger.logError((error as Error).message)
      this.exitCode = 2
      return
    }

    const table = this.ui.table()
    table.head(['#', 'Pattern', 'Rule', 'Presence', 'Client events', 'Defined at'])
    policies.list().forEach((entry, index) => {
      table.row([
        String(index + 1),
        entry.pattern,
        entry.kind === 'deny' ? this.colors.red('deny') : (entry.rule ?? 'allow'),
        entry.presence ? 'yes' : '',
        entry.clientEvents ? 'yes' : '',
        `${entry.file}:${entry.line}`,
      ])
    })
    table.render()
  }
}
