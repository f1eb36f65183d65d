import { getActiveTest, test } from '@japa/runner'
import { readFile } from 'node:fs/promises'
import { IgnitorFactory } from '@adonisjs/core/factories'
import { keepTestApp } from '../helpers/keep_test_app.ts'
import { DOC_APP_FILES, docSnippet } from '../helpers/doc_snippets.ts'
import Configure from '@adonisjs/core/commands/configure'
import { EnvParser } from '@adonisjs/core/env'
import { ESLint } from 'eslint'
import fastGlob from 'fast-glob'
import * as prettier from 'prettier'
import MakeBroadcastEvent from '../../commands/make_broadcast_event.ts'
import BroadcastCredentials from '../../commands/broadcast_credentials.ts'
import { ChannelPolicies } from '../../src/policies/main.ts'
import { loadPolicyTests } from '../../src/testing/policies/load_tests.ts'
import { runPolicyTests } from '../../src/testing/policies/run_tests.ts'

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

/**
 * A fresh app as the v7 starter kits ship it, with their lint setup:
 * ESLint through "configApp()" and prettier through the shared config
 */
async function starterKitApp(fs: any) {
  await fs.create('.env', 'TZ=UTC\nPORT=3333\nHOST=localhost\n')
  await fs.create('.env.example', 'TZ=UTC\nPORT=3333\nHOST=localhost\n')
  await fs.createJson('tsconfig.json', {})
  await fs.createJson('package.json', {
    name: 'app',
    private: true,
    type: 'module',
    scripts: { lint: 'eslint .', format: 'prettier --write .' },
    prettier: '@adonisjs/prettier-config',
  })
  await fs.create(
    'eslint.config.js',
    `import { configApp } from '@adonisjs/eslint-config'\nexport default configApp()\n`
  )
  await fs.create(
    'start/env.ts',
    [
      `import { Env } from '@adonisjs/core/env'`,
      ``,
      `export default await Env.create(new URL('../', import.meta.url), {`,
      `  // Node`,
      `  NODE_ENV: Env.schema.enum(['development', 'production', 'test'] as const),`,
      `  PORT: Env.schema.number(),`,
      `  HOST: Env.schema.string({ format: 'host' }),`,
      `  LOG_LEVEL: Env.schema.string(),`,
      ``,
      `  // App`,
      `  APP_KEY: Env.schema.secret(),`,
      `  APP_URL: Env.schema.string({ format: 'url', tld: false }),`,
      ``,
      `  // Session`,
      `  SESSION_DRIVER: Env.schema.enum(['cookie', 'memory', 'database'] as const),`,
      `})`,
      ``,
    ].join('\n')
  )
  await fs.create(
    'adonisrc.ts',
    [
      `import { indexEntities } from '@adonisjs/core'`,
      `import { defineConfig } from '@adonisjs/core/app'`,
      ``,
      `export default defineConfig({`,
      `  commands: [() => import('@adonisjs/core/commands'), () => import('@adonisjs/session/commands')],`,
      `  providers: [`,
      `    () => import('@adonisjs/core/providers/app_provider'),`,
      `    () => import('@adonisjs/core/providers/hash_provider'),`,
      `    {`,
      `      file: () => import('@adonisjs/core/providers/repl_provider'),`,
      `      environment: ['repl', 'test'],`,
      `    },`,
      `    () => import('@adonisjs/session/session_provider'),`,
      `    () => import('@adonisjs/shield/shield_provider'),`,
      `    () => import('@adonisjs/auth/auth_provider'),`,
      `  ],`,
      `  preloads: [() => import('#start/routes'), () => import('#start/kernel')],`,
      `  tests: {`,
      `    suites: [`,
      `      {`,
      `        files: ['tests/functional/**/*.spec.{ts,js}'],`,
      `        name: 'functional',`,
      `        timeout: 30000,`,
      `      },`,
      `    ],`,
      `    forceExit: false,`,
      `  },`,
      `  metaFiles: [`,
      `    {`,
      `      pattern: 'resources/views/**/*.edge',`,
      `      reloadServer: false,`,
      `    },`,
      `    {`,
      `      pattern: 'public/**',`,
      `      reloadServer: false,`,
      `    },`,
      `  ],`,
      `  hooks: {`,
      `    init: [indexEntities()],`,
      `  },`,
      `})`,
      ``,
    ].join('\n')
  )
}

/**
 * The app's own "npm run lint": ESLint resolves the app's eslint.config.js
 */
async function lintApp(root: URL) {
  const eslint = new ESLint({ cwd: root.pathname })
  const results = await eslint.lintFiles(['.'])
  return results.flatMap((result) =>
    result.messages.map(
      (message) =>
        `${result.filePath.slice(root.pathname.length)}:${message.line}:${message.column} ${message.ruleId} ${message.message}`
    )
  )
}

/**
 * Files the app's "prettier --check ." would report
 */
async function unformatted(root: URL, files: string[]) {
  const failing: string[] = []
  for (const file of files) {
    const filepath = new URL(file, root).pathname
    const options = await prettier.resolveConfig(filepath)
    const source = await readFile(filepath, 'utf8')
    if (!(await prettier.check(source, { ...options, filepath }))) failing.push(file)
  }
  return failing
}

/**
 * What a command printed, one string per line
 */
function logsOf(command: { ui: { logger: { getLogs(): { message: string }[] } } }) {
  return command.ui.logger.getLogs().map((log) => log.message)
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

test.group('configure', (group) => {
  keepTestApp(group)
  group.each.setup(({ context }) => {
    context.fs.baseUrl = BASE_URL
    context.fs.basePath = BASE_URL.pathname
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
    // The rules reading a column the starter kits lack say so where they are
    await assert.fileContains(
      'policies/channels.yaml',
      "user.role is a column the starter kits' User model does not"
    )
    first.assertLogMatches(/read user\.role, which/)
    // The starter tests pass against the starter policy and reach all of it
    const policies = await ChannelPolicies.load(`${fs.basePath}/policies`)
    const [tests] = await loadPolicyTests(`${fs.basePath}/policies`)
    assert.isTrue(tests.file.endsWith('policies/channels.test.yaml'))
    const { results, coverage } = await runPolicyTests(policies, tests.cases)
    assert.deepEqual(
      results.flatMap((result) => result.problems),
      []
    )
    assert.deepEqual([coverage.patterns.missed, coverage.branches.missed], [[], []])
    await assert.fileContains('adonisrc.ts', `adonisjs-broadcasting/broadcast_provider`)
    await assert.fileContains('adonisrc.ts', `adonisjs-broadcasting/commands`)
    // Builds copy the policies, but an edit never restarts the server: the package's own
    // watcher reloads them and an invalid edit keeps the last good policy
    await assert.fileContains(
      'adonisrc.ts',
      /pattern: 'policies\/\*\*\/!\(\*\.test\)\.yaml',\s*reloadServer: false/
    )
    // The pattern, as the assembler's build copies meta files (fast-glob), leaves the tests out
    const pattern = (await fs.contents('adonisrc.ts')).match(/pattern: '(policies[^']*)'/)![1]
    assert.deepEqual(await fastGlob(pattern, { cwd: fs.basePath }), ['policies/channels.yaml'])
    await assert.fileContains('.env', 'BROADCAST_CONNECTION=local')
    await assert.fileContains('.env', 'PUSHER_APP_SECRET=')
    await assert.fileContains('.env.example', 'PUSHER_APP_KEY=')
    // The validation's message says how to produce a missing credential
    await assert.fileContains('start/env.ts', 'PUSHER_APP_SECRET: Env.schema.secret({')
    await assert.fileContains('start/env.ts', 'run "node ace broadcast:credentials"')
    await assert.fileContains('start/env.ts', 'BROADCAST_CONNECTION: Env.schema.enum(')

    const files = [
      'config/broadcast.ts',
      'policies/channels.yaml',
      'policies/channels.test.yaml',
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

  test("what configure writes passes the app's own lint and prettier", async ({ fs, assert }) => {
    await starterKitApp(fs)
    // The fixture itself is clean, so any problem below is configure's
    assert.deepEqual(await lintApp(BASE_URL), [])

    const ace = await createAce()
    const first = await ace.create(Configure, ['../../../index.ts'])
    await first.exec()
    first.assertSucceeded()

    // The client setup it prints is the one the guide shows, line by line
    const guide = await readFile(new URL('../../docs/getting-started.md', import.meta.url), 'utf8')
    const printed = logsOf(first)
      .join('\n')
      .split('\n')
      .map((line) => line.trim())
    const start = printed.findIndex((line) => line.startsWith('const csrfToken ='))
    const end = printed.indexOf('})', start)
    assert.isAbove(start, -1)
    for (const line of printed.slice(start, end + 1)) assert.include(guide, line)

    assert.deepEqual(await lintApp(BASE_URL), [])
    const written = ['config/broadcast.ts', 'policies/channels.yaml', 'adonisrc.ts', 'start/env.ts']
    assert.deepEqual(await unformatted(BASE_URL, written), [])

    // A second run edits nothing and says so (the kernel's logger is shared)
    const before = logsOf(first).length
    const second = await ace.create(Configure, ['../../../index.ts'])
    await second.exec()
    second.assertSucceeded()
    const secondLogs = logsOf(second).slice(before).join('\n')
    assert.notMatch(secondLogs, /update start\/env\.ts/)
    assert.notMatch(secondLogs, /update adonisrc\.ts/)
    assert.deepEqual(await lintApp(BASE_URL), [])
  }).timeout(60_000)

  test('.env.example names the browser key, so a clone plus broadcast:credentials is complete', async ({
    fs,
    assert,
  }) => {
    await starterKitApp(fs)
    const ace = await createAce()
    const configured = await ace.create(Configure, ['../../../index.ts'])
    await configured.exec()
    configured.assertSucceeded()

    const clientKey = 'VITE_PUSHER_APP_KEY=${PUSHER_APP_KEY}'
    await assert.fileContains('.env', clientKey)
    await assert.fileContains('.env.example', clientKey)

    // A teammate's clone: ".env" is a copy of the committed template
    const example = await fs.contents('.env.example')
    assert.notMatch(example, /PUSHER_APP_SECRET=./)
    assert.notMatch(example, /PUSHER_ENCRYPTION_MASTER_KEY_BASE64=./)
    await fs.create('.env', example)
    const credentials = await ace.create(BroadcastCredentials, [])
    await credentials.exec()
    credentials.assertSucceeded()

    // The app reads the env as AdonisJS does, interpolating the key into the browser's variable
    const env = await new EnvParser(await fs.contents('.env'), BASE_URL, {
      ignoreProcessEnv: true,
    }).parse()
    assert.match(env.PUSHER_APP_KEY!, /^[0-9a-f]{20}$/)
    assert.equal(env.VITE_PUSHER_APP_KEY, env.PUSHER_APP_KEY)
    assert.match(env.PUSHER_APP_SECRET!, /^[0-9a-f]{40}$/)
    assert.equal(await fs.contents('.env.example'), example)
    assert.lengthOf((await fs.contents('.env')).match(/VITE_PUSHER_APP_KEY=/g)!, 1)
  }).timeout(60_000)

  test('an app that put the browser key in .env only gets it in .env.example too', async ({
    fs,
    assert,
  }) => {
    await freshApp(fs)
    const ace = await createAce()
    const first = await ace.create(Configure, ['../../../index.ts'])
    await first.exec()
    first.assertSucceeded()
    // As an app configured before, following the old docs: the key in .env only
    const example = (await fs.contents('.env.example')).replace(/^VITE_PUSHER_APP_KEY=.*\n/m, '')
    await fs.create('.env.example', example)
    const env = await fs.contents('.env')

    const second = await ace.create(Configure, ['../../../index.ts'])
    await second.exec()
    second.assertSucceeded()

    assert.equal(await fs.contents('.env'), env)
    assert.equal(
      await fs.contents('.env.example'),
      `${example}VITE_PUSHER_APP_KEY=\${PUSHER_APP_KEY}\n`
    )
  }).timeout(60_000)

  test('an app configured with the earlier meta-file pattern is not given a second one', async ({
    fs,
    assert,
  }) => {
    await freshApp(fs)
    const ace = await createAce()
    const first = await ace.create(Configure, ['../../../index.ts'])
    await first.exec()
    const earlier = (await fs.contents('adonisrc.ts')).replace(
      'policies/**/!(*.test).yaml',
      'policies/**/*.yaml'
    )
    await fs.create('adonisrc.ts', earlier)

    const second = await ace.create(Configure, ['../../../index.ts'])
    await second.exec()
    second.assertSucceeded()
    assert.equal(await fs.contents('adonisrc.ts'), earlier)
  }).timeout(60_000)

  test("the docs' snippets of app files pass the kit's lint", async ({ fs, assert }) => {
    await starterKitApp(fs)
    for (const [doc, path] of DOC_APP_FILES) await fs.create(path, await docSnippet(doc, path))

    assert.deepEqual(await lintApp(BASE_URL), [])
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
    const written = await fs.contents('app/events/user_added.ts')
    assert.isTrue(written.endsWith('}\n'), 'the file ends with one newline')
  }).timeout(30_000)
})
