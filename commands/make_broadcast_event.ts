import { appendFile } from 'node:fs/promises'
import { args, BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { stubsRoot } from '../stubs/main.ts'

/**
 * Creates a broadcast event class in "app/events"
 *
 * @example
 * node ace make:broadcast-event UserAdded
 */
export default class MakeBroadcastEvent extends BaseCommand {
  static commandName = 'make:broadcast-event'
  static description = 'Create a new broadcast event class'
  static options: CommandOptions = { allowUnknownFlags: true }

  @args.string({ description: 'Name of the event class' })
  declare name: string

  @flags.boolean({ description: 'Forcefully overwrite existing files' })
  declare force: boolean

  async run() {
    const codemods = await this.createCodemods()
    codemods.overwriteExisting = this.force === true
    const output = await codemods.makeUsingStub(stubsRoot, 'make/broadcast_event/main.stub', {
      flags: this.parsed.flags,
      entity: this.app.generators.createEntity(this.name),
    })
    // Stubs render trimmed: end the file as the app's prettier expects
    if (output.status !== 'skipped') await appendFile(output.destination, '\n')
  }
}
