import { stripVTControlCharacters } from 'node:util'
import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { loadPoliciesFor } from '../src/policies/load_for_command.ts'

/**
 * Lists the loaded channel patterns in the order they are tried; with
 * --check, also warns about what is legal but likely wrong
 *
 * @example
 * node ace broadcast:policies --check
 */
export default class BroadcastPolicies extends BaseCommand {
  static commandName = 'broadcast:policies'
  static description = 'List the channel policy patterns in precedence order, with their rules'
  static options: CommandOptions = { startApp: true }

  @flags.string({ description: 'Policy file or folder (default: the configured policies)' })
  declare policies?: string

  @flags.boolean({
    description:
      'Warn about patterns that never decide, shadowed denies, constant rules, and rules and member mappings reading fields that may be missing',
  })
  declare check: boolean

  async run() {
    const policies = await loadPoliciesFor(this, this.policies)
    if (!policies) return

    const plain = colorless(this.colors)
    const table = this.ui.table()
    if (plain) {
      // The table library dims its borders whatever the terminal or NO_COLOR say
      const renderer = this.ui.logger.getRenderer()
      table.useRenderer({
        getLogs: () => renderer.getLogs(),
        flushLogs: () => renderer.flushLogs(),
        log: (message) => renderer.log(stripVTControlCharacters(message)),
        logError: (message) => renderer.logError(stripVTControlCharacters(message)),
        logUpdate: (message) => renderer.logUpdate(stripVTControlCharacters(message)),
        logUpdatePersist: () => renderer.logUpdatePersist(),
      })
    }
    table.head(['#', 'Pattern', 'Rule', 'Presence', 'Client events', 'Defined at'])
    policies.list().forEach((entry, index) => {
      table.row([
        String(index + 1),
        entry.pattern,
        entry.kind === 'deny'
          ? plain
            ? 'deny'
            : this.colors.red('deny')
          : (entry.rule ?? 'allow'),
        entry.presence ? 'yes' : '',
        entry.clientEvents ? 'yes' : '',
        `${entry.file}:${entry.line}`,
      ])
    })
    table.render()

    if (this.check) {
      const { analyzePolicies } = await import('../src/policies/analyzer/analyze.ts')
      const warnings = analyzePolicies(policies.analysisInput())
      for (const { position, message } of warnings) {
        this.logger.warning(`${position.file}:${position.line}:${position.column}: ${message}`)
      }
      this.logger.log(
        warnings.length ? `${warnings.length} warning(s)` : this.colors.green('no warnings')
      )
    }
  }
}

/**
 * Whether output must carry no escape codes: NO_COLOR set (no-color.org),
 * or ace's colors off ("--no-ansi", or output that is not a terminal)
 */
function colorless(colors: { red(text: string): string }) {
  return Boolean(process.env.NO_COLOR) || colors.red('x') === 'x'
}
