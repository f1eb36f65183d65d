import { args, BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { loadPoliciesFor } from '../src/policies/load_for_command.ts'

/**
 * Evaluates the channel policies for a user without HTTP
 *
 * @example
 * node ace broadcast:check private-admins --user-id=1
 * node ace broadcast:check presence-chat.1 --user='{"id":2,"fullName":"Bob"}' --json
 */
export default class BroadcastCheck extends BaseCommand {
  static commandName = 'broadcast:check'
  static description = 'Check whether a user may subscribe to a channel, according to the policies'
  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Channel name, e.g. private-admins' })
  declare channel: string

  @flags.string({ description: 'The user as a JSON object (omit for a guest)' })
  declare user?: string

  @flags.string({ description: 'Load the user by id through the auth user provider' })
  declare userId?: string

  @flags.string({ description: 'Socket id seen by the rules', default: '1234.5678' })
  declare socketId: string

  @flags.string({ description: 'Policy file or folder (default: the configured policies)' })
  declare policies?: string

  @flags.boolean({ description: 'Print the decision as one JSON line' })
  declare json: boolean

  async run() {
    const { checkPolicy } = await import('../src/policies/check.ts')
    const broadcast = await this.app.container.make('broadcast')
    const policies = await loadPoliciesFor(this, this.policies)
    if (!policies) return

    let user: unknown = null
    try {
      if (this.user) {
        user = JSON.parse(this.user)
      } else if (this.userId) {
        const { findUserById } = await import('../src/authorization/find_user.ts')
        user = await findUserById(this.app, this.userId)
        if (!user) {
          this.logger.logError(`No user with id "${this.userId}"`)
          this.exitCode = 2
          return
        }
      }
    } catch (error) {
      this.logger.logError(`Cannot read the user: ${(error as Error).message}`)
      this.exitCode = 2
      return
    }

    const decision = await checkPolicy(policies, user, this.channel, {
      socketId: this.socketId,
      serializeUser: broadcast.config.authorization.serializeUser,
    })

    if (this.json) {
      this.logger.log(
        JSON.stringify({
          allowed: decision.allowed,
          pattern: decision.pattern,
          reason: decision.reason,
          member: decision.member,
          clientEvents: decision.clientEvents,
        })
      )
    } else {
      const verdict = decision.allowed ? this.colors.green('allowed') : this.colors.red('denied')
      this.logger.log(`${this.channel}: ${verdict}`)
      this.logger.log(`  pattern: ${decision.pattern ?? '(none)'}`)
      this.logger.log(`  reason:  ${decision.reason}`)
      if (decision.member) this.logger.log(`  member:  ${JSON.stringify(decision.member)}`)
      this.logger.log(`  client events: ${decision.clientEvents ? 'yes' : 'no'}`)
    }
    this.exitCode = decision.allowed ? 0 : 1
  }
}
