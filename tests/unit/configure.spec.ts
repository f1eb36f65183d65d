import { getActiveTest, test } from '@japa/runner'
import { readFile } from 'node:fs/promises'
import { IgnitorFactory } from '@adonisjs/core/factories'
import app, { setApp } from '@adonisjs/core/services/app'
import Configure from '@adonisjs/core/commands/configure'
import MakeBroadcastEvent from '../../commands/make_broadcast_event.ts'

const BASE_URL = new URL('../tmp/app/', import.meta.url)

/**
 * A fresh v7 app's files, as the starter kits have them before any
 * package is configured
 */
async function freshApp(fs: any) {
  await fs.create('.env', 'TZ=UTC\nPORT=3333\n')
  await fs.create('.env.example', 'TZ=UTC\nPORT=3333\n')
  await fs.createJson('tsconfig.json', {})
  await fs.create(
    'start/env.ts',
    `import { Env } from '@adonisjs/core/env'\n\nexport default await Env.create(new URL('../', import.meta.url), {\n  NODE_ENV: Env.schema.enum(['development', 'production', 'test'] as const),\n})\n`
  )
  await fs.create(
    'adonisrc.ts',
    `import { defineConfig } from '@adonisjs/core/app'\n\nexport default defineConfig({\n  commands: [() => import('@adonisjs/core/commands')],\n  providers: [() => import('@adonisjs/core/providers/app_provider')],\n})\n`
  )
}

async function createAce() {
  const ignitor = new IgnitorFactory()
    .withCoreProviders()
    .withCoreConfig()
    .create(BASE_URL, {
      importer: (filePath) => {
        if (filePath.startsWith('./') || filePath.startsWith('../')) {
          return import(new URL(filePath, BASE_URL).href)
        }
        return import(filePath)
      },
    })
  const consoleApp = ignitor.createApp('console')
  await consoleApp.init()
  await consoleApp.boot()
  const ace = await consoleApp.container.make('ace')
  ace.ui.switchMode('raw')
  getActiveTest()?.cleanup(() => consoleApp.terminate())
  return ace
}

async function snapshot(root: URL, files: string[]) {
  const contents: Record<string, string> = {}
  for (const file of files) {
    contents[file] = await readFile(new URL(file, root), 'utf8')
  }
  return contents
}

/**
 * Booting a second app replaces the global "app" service: the test app
 * must get it back, or later suites resolve bindings from the wrong app
 */
const testApp = app

test.group('configure', (group) => {
  group.each.setup(({ context }) => {
    context.fs.baseUrl = BASE_URL
    context.fs.basePath = BASE_URL.pathname
    return () => setApp(testApp)
  })

  test('writes config, policy, env and rc entries, and a second run changes nothing', async ({
    fs,
    assert,
  }) => {
    await freshApp(fs)
    const ace = await createAce()

    const first = await ace.create(Configure, ['../../../index.ts'])
    await first.exec()
    first.assertSucceeded()

    await assert.fileExists('config/broadcast.ts')
    await assert.fileContains('config/broadcast.ts', 'drivers.local(')
    await assert.fileContains('config/broadcast.ts', 'drivers.pusher(')
    await assert.fileExists('policies/channels.yaml')
    await assert.fileContains('policies/channels.yaml', 'private-<userId>:')
    await assert.fileContains('adonisrc.ts', `adonisjs-broadcasting/broadcast_provider`)
    await assert.fileContains('adonisrc.ts', `adonisjs-broadcasting/commands`)
    await assert.fileContains('adonisrc.ts', `policies/**/*.yaml`)
    // Builds copy the policies, but an edit never restarts the server: the package's own
    // watcher reloads them and an invalid edit keeps the last good policy
    await assert.fileContains(
      'adonisrc.ts',
      /pattern: 'policies\/\*\*\/\*\.yaml',\s*reloadServer: false/
    )
    await assert.fileContains('.env', 'BROADCAST_CONNECTION=local')
    await assert.fileContains('.env', 'PUSHER_APP_SECRET=')
    await assert.fileContains('.env.example', 'PUSHER_APP_KEY=')
    await assert.fileContains('start/env.ts', 'PUSHER_APP_SECRET: Env.schema.secret()')
    await assert.fileContains('start/env.ts', 'BROADCAST_CONNECTION: Env.schema.enum(')

    const files = [
      'config/broadcast.ts',
      'policies/channels.yaml',
      'adonisrc.ts',
      '.env',
      '.env.example',
      'start/env.ts',
    ]
    const before = await snapshot(BASE_URL, files)

    const second = await ace.create(Configure, ['../../../index.ts'])
    await second.exec()
    second.assertSucceeded()

    assert.deepEqual(await snapshot(BASE_URL, files), before)
    assert.lengthOf(before['.env'].match(/PUSHER_APP_SECRET=/g)!, 1)
    assert.lengthOf(before['adonisrc.ts'].match(/broadcast_provider/g)!, 1)
  }).timeout(60_000)

  test('make:broadcast-event writes an event class from the stub', async ({ fs, assert }) => {
    await freshApp(fs)
    const ace = await createAce()

    const command = await ace.create(MakeBroadcastEvent, ['UserAdded'])
    await command.exec()
    command.assertSucceeded()

    await assert.fileExists('app/events/user_added.ts')
    await assert.fileContains('app/events/user_added.ts', 'export default class UserAdded')
    await assert.fileContains('app/events/user_added.ts', 'extends BroadcastEvent')
    await assert.fileContains('app/events/user_added.ts', "new Channel('user_added')")
  }).timeout(30_000)
})
