import type { CommandMetaData } from '@adonisjs/core/types/ace'

/**
 * Lazy loader of the package's ace commands, registered in "adonisrc.ts"
 * as "adonisjs-broadcasting/commands"
 */
const commands = {
  'make:broadcast-event': () => import('./make_broadcast_event.ts'),
  'broadcast:serve': () => import('./broadcast_serve.ts'),
  'broadcast:check': () => import('./broadcast_check.ts'),
  'broadcast:policies': () => import('./broadcast_policies.ts'),
  'broadcast:test': () => import('./broadcast_test.ts'),
  'broadcast:credentials': () => import('./broadcast_credentials.ts'),
}

type CommandName = keyof typeof commands

export async function getMetaData(): Promise<CommandMetaData[]> {
  return Promise.all(
    Object.values(commands).map(async (load) => {
      const { default: command } = await load()
      return command.serialize()
    })
  )
}

export async function getCommand(metaData: CommandMetaData) {
  const load = commands[metaData.commandName as CommandName]
  if (!load) return null
  const { default: command } = await load()
  return command
}
