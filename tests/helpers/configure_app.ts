import { mkdir, writeFile } from 'node:fs/promises'
import { IgnitorFactory } from '@adonisjs/core/factories'
import Configure from '@adonisjs/core/commands/configure'
import BroadcastCredentials from '../../commands/broadcast_credentials.ts'

/**
 * The files of a fresh v7 app that "configure" edits, as the starter kits
 * have them before any package is configured
 */
export async function writeFreshApp(root: URL) {
  await mkdir(new URL('start/', root), { recursive: true })
  await writeFile(new URL('.env', root), 'TZ=UTC\nPORT=3333\n')
  await writeFile(new URL('.env.example', root), 'TZ=UTC\nPORT=3333\n')
  await writeFile(new URL('tsconfig.json', root), '{}\n')
  await writeFile(
    new URL('start/env.ts', root),
    `import { Env } from '@adonisjs/core/env'\n\nexport default await Env.create(new URL('../', import.meta.url), {\n  NODE_ENV: Env.schema.enum(['development', 'production', 'test'] as const),\n})\n`
  )
  await writeFile(
    new URL('adonisrc.ts', root),
    `import { defineConfig } from '@adonisjs/core/app'\n\nexport default defineConfig({\n  commands: [() => import('@adonisjs/core/commands')],\n  providers: [() => import('@adonisjs/core/providers/app_provider')],\n})\n`
  )
}

/**
 * Runs "node ace <command>" in the app at root, as ace does: "configure"
 * with this package, or "broadcast:credentials". The caller restores the
 * test app afterwards (keepTestApp).
 */
export async function runInApp(root: URL, command: 'configure' | 'broadcast:credentials') {
  const ignitor = new IgnitorFactory()
    .withCoreProviders()
    .withCoreConfig()
    .create(root, { importer: (filePath) => import(filePath) })
  const consoleApp = ignitor.createApp('console')
  await consoleApp.init()
  await consoleApp.boot()
  try {
    const ace = await consoleApp.container.make('ace')
    ace.ui.switchMode('raw')
    const instance =
      command === 'configure'
        ? await ace.create(Configure, [new URL('../../index.ts', import.meta.url).href])
        : await ace.create(BroadcastCredentials, [])
    await instance.exec()
    instance.assertSucceeded()
  } finally {
    await consoleApp.terminate()
  }
}
