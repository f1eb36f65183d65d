import type { BaseCommand } from '@adonisjs/core/ace'
import type { ChannelPolicies } from './channel_policies.ts'

/**
 * The policies a command works on: a file or folder given with --policies,
 * or the app's configured ones. A policy error is logged with its position
 * and sets exit code 2; the result is then null.
 */
export async function loadPoliciesFor(
  command: BaseCommand,
  path?: string
): Promise<ChannelPolicies | null> {
  const policies = await command.app.container.make('broadcast.policies')
  try {
    return path ? await policies.loadFrom(command.app.makePath(path)) : await policies.load()
  } catch (error) {
    command.logger.logError((error as Error).message)
    command.exitCode = 2
    return null
  }
}
