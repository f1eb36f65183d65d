import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { loadPoliciesFor } from '../src/commands/load_policies.ts'

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
    const policies = await loadPoliciesFor(this, this.policies)
    if (!policies) return

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
