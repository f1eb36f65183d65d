import { readFile, writeFile } from 'node:fs/promises'
import type Configure from '@adonisjs/core/commands/configure'
import { stubsRoot } from './stubs/main.ts'
import {
  CLIENT_ENV,
  generateAppCredentials,
  setDotenvValues,
} from './src/drivers/app_credentials.ts'

/**
 * Environment variables the package reads, with the values written to a
 * fresh app: the embedded server's credentials, generated once
 */
function defaultEnv(): Record<string, string> {
  return { BROADCAST_CONNECTION: 'local', ...generateAppCredentials() }
}

/**
 * The message a missing credential fails boot with: how to produce one
 */
function missingCredential(name: string) {
  return `'Missing environment variable "${name}": run "node ace broadcast:credentials"'`
}

const ENV_VALIDATIONS = {
  BROADCAST_CONNECTION: `Env.schema.enum(['local', 'pusher', 'log', 'null'] as const)`,
  PUSHER_APP_ID: `Env.schema.string({ message: ${missingCredential('PUSHER_APP_ID')} })`,
  PUSHER_APP_KEY: `Env.schema.string({ message: ${missingCredential('PUSHER_APP_KEY')} })`,
  PUSHER_APP_SECRET: `Env.schema.secret({ message: ${missingCredential('PUSHER_APP_SECRET')} })`,
  PUSHER_ENCRYPTION_MASTER_KEY_BASE64: 'Env.schema.string.optional()',
  PUSHER_CLUSTER: 'Env.schema.string.optional()',
  PUSHER_HOST: `Env.schema.string.optional({ format: 'host' })`,
  PUSHER_PORT: 'Env.schema.number.optional()',
  PUSHER_SCHEME: `Env.schema.enum.optional(['http', 'https'] as const)`,
}

/**
 * The policy files are meta files, copied into builds; their tests
 * ("*.test.yaml") are not, a build has no use for them
 */
const RC_ENTRIES = {
  provider: 'adonisjs-broadcasting/broadcast_provider',
  commands: 'adonisjs-broadcasting/commands',
  metaFiles: 'policies/**/!(*.test).yaml',
}

/**
 * The meta-file pattern earlier versions wrote: an app that has it is left
 * as it is, rather than given a second pattern
 */
const EARLIER_META_FILES = 'policies/**/*.yaml'

/**
 * The text of an app file, or '' when it does not exist
 */
async function readAppFile(command: Configure, path: string) {
  return readFile(command.app.makePath(path), 'utf8').catch(() => '')
}

/**
 * Gives ".env" and the committed ".env.example" the variables the browser
 * reads (Vite exposes only "VITE_" names), so a teammate whose ".env" is a
 * copy of ".env.example" gets a page that connects. A value already set is
 * kept, so a second run changes nothing.
 */
async function defineClientEnv(command: Configure) {
  for (const file of ['.env', '.env.example']) {
    const contents = await readFile(command.app.makePath(file), 'utf8').catch(() => undefined)
    if (contents === undefined) continue
    const result = setDotenvValues(contents, CLIENT_ENV, { replace: false })
    if (result.written.length === 0) continue
    await writeFile(command.app.makePath(file), result.contents)
    command.logger.action(`update ${file} file`).succeeded()
  }
}

/**
 * Names already set in the app's .env, so a second run changes nothing
 */
async function existingEnvKeys(command: Configure): Promise<Set<string>> {
  const contents = await readAppFile(command, '.env')
  return new Set(
    contents
      .split('\n')
      .map((line) => line.split('=')[0].trim())
      .filter(Boolean)
  )
}

/**
 * Whether "start/env.ts" already validates every variable. The codemod
 * would add nothing, but still rewrite the file and report an update.
 */
async function envValidationsPresent(command: Configure) {
  const contents = await readAppFile(command, 'start/env.ts')
  return Object.keys(ENV_VALIDATIONS).every((name) =>
    new RegExp(String.raw`^\s*['"]?${name}['"]?\s*:`, 'm').test(contents)
  )
}

/**
 * Whether "adonisrc.ts" already lists the provider, the commands and the
 * policy meta files
 */
async function rcEntriesPresent(command: Configure) {
  const contents = await readAppFile(command, 'adonisrc.ts')
  const has = (entry: string) => contents.includes(`'${entry}'`) || contents.includes(`"${entry}"`)
  return (
    has(RC_ENTRIES.provider) &&
    has(RC_ENTRIES.commands) &&
    (has(RC_ENTRIES.metaFiles) || has(EARLIER_META_FILES))
  )
}

/**
 * Stubs render trimmed, so a file made from one has no final newline
 */
async function endWithNewline(command: Configure, path: string) {
  const contents = await readAppFile(command, path)
  if (contents && !contents.endsWith('\n')) {
    await writeFile(command.app.makePath(path), `${contents}\n`)
  }
}

/**
 * The codemods print with ts-morph's formatter, which knows nothing of the
 * app's prettier (no trailing commas, no line wrapping at printWidth), so
 * an app linting with prettier fails right after "configure". Format the
 * files written here with the app's own prettier and config, when it has
 * them; an app without prettier keeps the codemods' output.
 */
async function formatWithAppPrettier(command: Configure, paths: string[]) {
  let prettier: typeof import('prettier')
  try {
    prettier = await command.app.import('prettier')
  } catch {
    return
  }

  const ignorePath = ['.gitignore', '.prettierignore'].map((file) => command.app.makePath(file))
  for (const path of paths) {
    const filepath = command.app.makePath(path)
    try {
      const options = await prettier.resolveConfig(filepath)
      if (!options) continue
      const { ignored } = await prettier.getFileInfo(filepath, { ignorePath })
      if (ignored) continue

      const source = await readFile(filepath, 'utf8')
      const formatted = await prettier.format(source, { ...options, filepath })
      if (formatted !== source) await writeFile(filepath, formatted)
    } catch (error) {
      command.logger.warning(`Could not format ${path} with prettier: ${(error as Error).message}`)
    }
  }
}

/**
 * Configures the package in an app: "node ace configure adonisjs-broadcasting"
 */
export async function configure(command: Configure) {
  const codemods = await command.createCodemods()
  const written: string[] = []

  /**
   * Publish the config file, the starter policy file and its tests
   */
  for (const stub of [
    'config/broadcast.stub',
    'policies/channels.stub',
    'policies/channels_test.stub',
  ]) {
    const output = await codemods.makeUsingStub(stubsRoot, stub, {})
    if (output.status !== 'skipped') {
      const path = command.app.relativePath(output.destination)
      await endWithNewline(command, path)
      written.push(path)
    }
  }

  /**
   * Define env variables and their validations, leaving existing ones alone
   */
  const existing = await existingEnvKeys(command)
  const missing = Object.fromEntries(
    Object.entries(defaultEnv()).filter(([key]) => !existing.has(key))
  )
  if (Object.keys(missing).length > 0) {
    // Secrets: the committed template names them, without their values
    await codemods.defineEnvVariables(missing, {
      omitFromExample: ['PUSHER_APP_SECRET', 'PUSHER_ENCRYPTION_MASTER_KEY_BASE64'],
    })
  }
  await defineClientEnv(command)
  if (!(await envValidationsPresent(command))) {
    await codemods.defineEnvValidations({
      leadingComment: 'Variables for configuring the broadcasting package',
      variables: ENV_VALIDATIONS,
    })
    written.push('start/env.ts')
  }

  /**
   * Register the provider and commands, and copy policy files in builds.
   * An edited policy does not restart the dev server: the package's own
   * watcher reloads it, and an invalid edit keeps the last good policies.
   */
  if (!(await rcEntriesPresent(command))) {
    await codemods.updateRcFile((rcFile) => {
      rcFile
        .addProvider(RC_ENTRIES.provider)
        .addCommand(RC_ENTRIES.commands)
        .addMetaFile(RC_ENTRIES.metaFiles, false)
    })
    written.push('adonisrc.ts')
  }

  await formatWithAppPrettier(command, written)

  command.logger.log(
    [
      '',
      'Next steps:',
      '  1. Register the auth routes in start/routes.ts:',
      "       import broadcast from 'adonisjs-broadcasting/services/main'",
      '       broadcast.registerRoutes()',
      '  2. Edit policies/channels.yaml to decide who may join which channel. Its',
      '     private-admins and private-broadcasting-console rules read user.role, which',
      "     the starter kits' User model lacks: add the column or change the rules",
      '  3. In the browser (npm install pusher-js; .env and .env.example now hold',
      '     VITE_PUSHER_APP_KEY=${PUSHER_APP_KEY}, the key Vite hands to the page):',
      `       const csrfToken = document.querySelector('meta[name="csrf-token"]').content`,
      '       const pusher = new Pusher(import.meta.env.VITE_PUSHER_APP_KEY, {',
      "         cluster: '',",
      '         wsHost: location.hostname,',
      '         wsPort: Number(location.port || 80),',
      '         wssPort: Number(location.port || 443),',
      "         forceTLS: location.protocol === 'https:',",
      "         enabledTransports: ['ws', 'wss'],",
      '         channelAuthorization: {',
      "           endpoint: '/broadcasting/authorize',",
      "           transport: 'ajax',",
      "           headers: { 'X-CSRF-TOKEN': csrfToken },",
      '         },',
      '       })',
      '     laravel-echo posts to /broadcasting/auth, an alias the config declares',
      '  4. A teammate whose .env comes from .env.example runs: node ace broadcast:credentials',
      '',
    ].join('\n')
  )
}
