import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type Configure from '@adonisjs/core/commands/configure'
import { stubsRoot } from './stubs/main.ts'

/**
 * Environment variables the package reads, with the values written to a
 * fresh app: the embedded server's credentials, generated once
 */
function defaultEnv(): Record<string, string> {
  return {
    BROADCAST_CONNECTION: 'local',
    PUSHER_APP_ID: 'app',
    PUSHER_APP_KEY: randomBytes(10).toString('hex'),
    PUSHER_APP_SECRET: randomBytes(20).toString('hex'),
  }
}

const ENV_VALIDATIONS = {
  BROADCAST_CONNECTION: `Env.schema.enum(['local', 'pusher', 'log', 'null'] as const)`,
  PUSHER_APP_ID: 'Env.schema.string()',
  PUSHER_APP_KEY: 'Env.schema.string()',
  PUSHER_APP_SECRET: 'Env.schema.secret()',
  PUSHER_CLUSTER: 'Env.schema.string.optional()',
  PUSHER_HOST: `Env.schema.string.optional({ format: 'host' })`,
  PUSHER_PORT: 'Env.schema.number.optional()',
  PUSHER_SCHEME: `Env.schema.enum.optional(['http', 'https'] as const)`,
}

/**
 * Names already set in the app's .env, so a second run changes nothing
 */
async function existingEnvKeys(command: Configure): Promise<Set<string>> {
  const contents = await readFile(command.app.makePath('.env'), 'utf8').catch(() => '')
  return new Set(
    contents
      .split('\n')
      .map((line) => line.split('=')[0].trim())
      .filter(Boolean)
  )
}

/**
 * Configures the package in an app: "node ace configure adonisjs-broadcasting"
 */
export async function configure(command: Configure) {
  const codemods = await command.createCodemods()

  /**
   * Publish the config file and the starter policy file
   */
  await codemods.makeUsingStub(stubsRoot, 'config/broadcast.stub', {})
  await codemods.makeUsingStub(stubsRoot, 'policies/channels.stub', {})

  /**
   * Define env variables and their validations, leaving existing ones alone
   */
  const existing = await existingEnvKeys(command)
  const missing = Object.fromEntries(
    Object.entries(defaultEnv()).filter(([key]) => !existing.has(key))
  )
  if (Object.keys(missing).length > 0) {
    await codemods.defineEnvVariables(missing, { omitFromExample: ['PUSHER_APP_SECRET'] })
  }
  await codemods.defineEnvValidations({
    leadingComment: 'Variables for configuring the broadcasting package',
    variables: ENV_VALIDATIONS,
  })

  /**
   * Register the provider and commands, and copy policy files in builds
   */
  await codemods.updateRcFile((rcFile) => {
    rcFile
      .addProvider('adonisjs-broadcasting/broadcast_provider')
      .addCommand('adonisjs-broadcasting/commands')
      .addMetaFile('policies/**/*.yaml', false)
  })

  command.logger.log(
    [
      '',
      'Next steps:',
      '  1. Register the auth routes in start/routes.ts:',
      "       import broadcast from 'adonisjs-broadcasting/services/main'",
      '       broadcast.registerRoutes()',
      '  2. Edit policies/channels.yaml to decide who may join which channel',
      '  3. In the browser (npm install pusher-js):',
      '       const pusher = new Pusher(import.meta.env.VITE_PUSHER_APP_KEY, {',
      "         cluster: '', wsHost: location.hostname, wsPort: Number(location.port || 80),",
      "         forceTLS: location.protocol === 'https:', enabledTransports: ['ws', 'wss'],",
      "         channelAuthorization: { endpoint: '/broadcasting/auth', transport: 'ajax',",
      "           headers: { 'X-CSRF-TOKEN': document.querySelector('meta[name=csrf-token]').content } },",
      '       })',
      '',
    ].join('\n')
  )
}
