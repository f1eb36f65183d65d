import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'

/**
 * Exact versions installed in this repository, so the app's "npm install"
 * is served from the npm cache the repository's install filled
 */
async function installedVersion(root: URL, name: string) {
  const manifest = await readFile(new URL(`node_modules/${name}/package.json`, root), 'utf8')
  return JSON.parse(manifest).version as string
}

const DEPENDENCIES = ['@adonisjs/core', 'reflect-metadata']
const DEV_DEPENDENCIES = [
  '@adonisjs/assembler',
  '@adonisjs/tsconfig',
  '@poppinss/ts-exec',
  '@types/node',
  'typescript',
]

const ENTRY_POINT = (boot: string) => `import 'reflect-metadata'
import { Ignitor, prettyPrintError } from '@adonisjs/core'

const APP_ROOT = new URL('../', import.meta.url)

const IMPORTER = (filePath: string) => {
  if (filePath.startsWith('./') || filePath.startsWith('../')) {
    return import(new URL(filePath, APP_ROOT).href)
  }
  return import(filePath)
}

new Ignitor(APP_ROOT, { importer: IMPORTER })
  .tap((app) => {
    app.booting(async () => {
      await import('#start/env')
    })
    app.listen('SIGTERM', () => app.terminate())
  })
  ${boot}
  .catch((error) => {
    process.exitCode = 1
    prettyPrintError(error)
  })
`

const DOTENV = [
  'TZ=UTC',
  'PORT=3333',
  'HOST=127.0.0.1',
  'LOG_LEVEL=info',
  'APP_KEY=pack-check-app-key-0123456789abcdef',
  'APP_URL=http://127.0.0.1:3333',
  'NODE_ENV=development',
  '',
].join('\n')

/**
 * A fresh v7 app as the starter kits have it before any package is
 * configured, cut down to what "node ace" and the HTTP server need. The
 * tests' fixture (tests/helpers/configure_app.ts) is only what "configure"
 * edits, resolved against this repository's node_modules; this one is
 * installed from the npm registry and boots on its own.
 */
async function appFiles(root: URL): Promise<Record<string, string>> {
  const versions = async (names: string[]) =>
    Object.fromEntries(
      await Promise.all(names.map(async (name) => [name, await installedVersion(root, name)]))
    )

  return {
    'package.json': JSON.stringify(
      {
        name: 'pack-check-app',
        private: true,
        type: 'module',
        imports: { '#start/*': './start/*.js', '#config/*': './config/*.js' },
        dependencies: await versions(DEPENDENCIES),
        devDependencies: await versions(DEV_DEPENDENCIES),
      },
      null,
      2
    ),
    '.env': DOTENV,
    '.env.example': DOTENV,
    'tsconfig.json': JSON.stringify({
      extends: '@adonisjs/tsconfig/tsconfig.app.json',
      compilerOptions: { rootDir: './', outDir: './build' },
    }),
    'ace.js': `import '@poppinss/ts-exec'\nawait import('./bin/console.js')\n`,
    'bin/console.ts': ENTRY_POINT('.ace()\n  .handle(process.argv.splice(2))'),
    'bin/server.ts': ENTRY_POINT('.httpServer()\n  .start()'),
    'adonisrc.ts': `import { defineConfig } from '@adonisjs/core/app'\n\nexport default defineConfig({\n  commands: [() => import('@adonisjs/core/commands')],\n  providers: [() => import('@adonisjs/core/providers/app_provider')],\n})\n`,
    'start/env.ts': `import { Env } from '@adonisjs/core/env'\n\nexport default await Env.create(new URL('../', import.meta.url), {\n  NODE_ENV: Env.schema.enum(['development', 'production', 'test'] as const),\n  PORT: Env.schema.number(),\n  HOST: Env.schema.string({ format: 'host' }),\n  LOG_LEVEL: Env.schema.string(),\n  APP_KEY: Env.schema.secret(),\n  APP_URL: Env.schema.string({ format: 'url', tld: false }),\n})\n`,
    'config/app.ts': `import { defineConfig } from '@adonisjs/core/http'\n\nexport const http = defineConfig({})\n`,
    'config/logger.ts': `import env from '#start/env'\nimport { defineConfig } from '@adonisjs/core/logger'\n\nexport default defineConfig({\n  default: 'app',\n  loggers: { app: { enabled: true, name: 'pack-check-app', level: env.get('LOG_LEVEL') } },\n})\n`,
    'config/encryption.ts': `import env from '#start/env'\nimport { defineConfig, drivers } from '@adonisjs/core/encryption'\n\nexport default defineConfig({\n  default: 'gcm',\n  list: { gcm: drivers.aes256gcm({ id: 'gcm', keys: [env.get('APP_KEY')] }) },\n})\n`,
  }
}

/**
 * Writes the app into "appRoot" (a path); "repoRoot" is this repository
 */
export async function createFreshApp(repoRoot: URL, appRoot: string) {
  for (const [file, contents] of Object.entries(await appFiles(repoRoot))) {
    const path = join(appRoot, file)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, contents)
  }
}
