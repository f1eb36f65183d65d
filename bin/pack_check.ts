/*
|--------------------------------------------------------------------------
| Pack check: "npm run pack:check"
|--------------------------------------------------------------------------
|
| What a user gets from npm: builds both packages, packs them, installs the
| two tarballs in a fresh v7 app outside this repository (so nothing
| resolves to the sources), configures the package there with
| "node ace configure", runs its commands, type-checks the app and boots
| it. Prints one line per check and exits 1 on the first failure, keeping
| the app for a look (--keep keeps it after a pass too).
|
*/
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { EnvParser } from '@adonisjs/core/env'
import { freePort } from '../tests/helpers/app_process.ts'
import { createFreshApp } from './pack_check/fresh_app.ts'
import { pack, tarballProblems, type Tarball } from './pack_check/tarballs.ts'
import { run, startServer } from './pack_check/processes.ts'
import { exchangeEvent } from './pack_check/websocket.ts'
import { TYPES_CHECK } from './pack_check/types_check.ts'

const ROOT = new URL('../', import.meta.url)
const ROOT_DIR = fileURLToPath(ROOT)
const ENGINE_DIR = join(ROOT_DIR, 'packages/engine')
const WORK = await mkdtemp(join(tmpdir(), 'broadcast-pack-check-'))
const APP = join(WORK, 'app')
const PACKAGE_NAME = JSON.parse(await readFile(join(ROOT_DIR, 'package.json'), 'utf8')).name

/**
 * The variables this repository's .env files name. A test run has loaded
 * them into process.env, where they would win over the app's own .env
 * (another PUSHER_APP_KEY, NODE_ENV=test).
 */
async function repositoryEnvNames() {
  const names = new Set(['NODE_ENV', 'HOST', 'PORT'])
  for (const file of ['.env', '.env.example', '.env.test']) {
    const contents = await readFile(join(ROOT_DIR, file), 'utf8').catch(() => '')
    for (const match of contents.matchAll(/^\s*([A-Z_][A-Z0-9_]*)\s*=/gm)) names.add(match[1])
  }
  return names
}

/**
 * The environment of every child process. Without the npm_* variables
 * "npm run" exports, the nested npm sees the app, not this repository.
 */
const REPOSITORY_ENV = await repositoryEnvNames()
const CHILD_ENV = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) => !name.startsWith('npm_') && !REPOSITORY_ENV.has(name)
  )
)

let passed = 0
const started = performance.now()

/**
 * Runs one check; the first failure ends the run, as every later check
 * stands on the ones before it
 */
async function check(name: string, action: () => Promise<string>) {
  const start = performance.now()
  try {
    const detail = await action()
    const time = ((performance.now() - start) / 1000).toFixed(1)
    passed++
    console.log(`✔ ${name} (${time} s)${detail ? `: ${detail}` : ''}`)
  } catch (error) {
    console.log(`✖ ${name}\n${(error as Error).message}`)
    console.log(`\npack:check FAILED after ${seconds()} s; the app is kept in ${APP}`)
    process.exit(1)
  }
}

function seconds() {
  return ((performance.now() - started) / 1000).toFixed(0)
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message)
}

/**
 * "node ace <args>" in the app, with this process's Node (24)
 */
async function ace(...args: string[]) {
  const result = await run(process.execPath, ['ace.js', ...args], { cwd: APP, env: CHILD_ENV })
  assert(result.code === 0, `node ace ${args.join(' ')} exited ${result.code}:\n${result.output}`)
  return result.output
}

let engine: Tarball
let root: Tarball

await check('build (npm run build)', async () => {
  const result = await run('npm', ['run', 'build'], { cwd: ROOT_DIR, env: CHILD_ENV })
  assert(result.code === 0, result.output)
  return ''
})

await check('pack both packages, with everything the build needs', async () => {
  engine = await pack(ENGINE_DIR, WORK, CHILD_ENV)
  root = await pack(ROOT_DIR, WORK, CHILD_ENV)
  const problems = [
    ...(await tarballProblems(ENGINE_DIR, engine)),
    ...(await tarballProblems(ROOT_DIR, root)),
  ]
  assert(problems.length === 0, problems.join('\n'))
  return `${engine.name} ${engine.files.length} files, ${root.name} ${root.files.length} files`
})

await check('npm install of both tarballs in a fresh app', async () => {
  await createFreshApp(ROOT, APP)
  const result = await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', engine.path, root.path],
    { cwd: APP, env: CHILD_ENV }
  )
  assert(result.code === 0, result.output)
  return ''
})

await check('both packages and their subpaths resolve inside the app', async () => {
  const lock = JSON.parse(await readFile(join(APP, 'package-lock.json'), 'utf8'))
  for (const tarball of [engine, root]) {
    const entry = lock.packages[`node_modules/${tarball.name}`]
    assert(entry?.resolved?.endsWith('.tgz'), `${tarball.name} not installed from its tarball`)
  }
  const nested = Object.keys(lock.packages).filter(
    (path) => path.endsWith(`/${engine.name}`) && path !== `node_modules/${engine.name}`
  )
  assert(nested.length === 0, `a second copy of the engine: ${nested.join(', ')}`)

  /**
   * Every export, as the app imports it and as the package imports the
   * engine, is a file of the app's node_modules
   */
  const specifiers = []
  for (const [dir, tarball] of [[ENGINE_DIR, engine] as const, [ROOT_DIR, root] as const]) {
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'))
    specifiers.push(...Object.keys(manifest.exports).map((path) => join(tarball.name, path)))
  }
  const script = `
    import { createRequire } from 'node:module'
    const fromPackage = createRequire(import.meta.resolve('${root.name}'))
    console.log(JSON.stringify([
      ...${JSON.stringify(specifiers)}.map((specifier) => import.meta.resolve(specifier)),
      fromPackage.resolve('${engine.name}'),
    ]))`
  const result = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: APP,
    env: CHILD_ENV,
  })
  assert(result.code === 0, result.output)
  const resolved: string[] = JSON.parse(result.output)
  const outside = resolved
    .map((url) => (url.startsWith('file:') ? fileURLToPath(url) : url))
    .filter((path) => !path.startsWith(join(APP, 'node_modules/')))
  assert(outside.length === 0, `resolved outside the app:\n${outside.join('\n')}`)
  return `${specifiers.length} subpaths`
})

await check(`node ace configure ${PACKAGE_NAME}`, async () => {
  await ace('configure', PACKAGE_NAME)
  const rcFile = await readFile(join(APP, 'adonisrc.ts'), 'utf8')
  for (const entry of [`${root.name}/broadcast_provider`, `${root.name}/commands`]) {
    assert(rcFile.includes(entry), `adonisrc.ts does not register ${entry}`)
  }
  for (const file of [
    'config/broadcast.ts',
    'policies/channels.yaml',
    'policies/channels.test.yaml',
  ]) {
    await readFile(join(APP, file)).catch(() => assert(false, `configure did not create ${file}`))
  }
  const dotenv = await readFile(join(APP, '.env'), 'utf8')
  assert(/^PUSHER_APP_KEY=\w+$/m.test(dotenv), `.env has no PUSHER_APP_KEY:\n${dotenv}`)
  return 'config, policies, .env and adonisrc.ts written'
})

await check('node ace list shows the package commands', async () => {
  const source = await readFile(join(ROOT_DIR, 'commands/main.ts'), 'utf8')
  const names = [...source.matchAll(/^\s*'([\w:-]+)': \(\) => import/gm)].map((match) => match[1])
  const output = await ace('list')
  const missing = names.filter((name) => !output.includes(name))
  assert(names.length > 0 && missing.length === 0, `missing: ${missing.join(', ')}\n${output}`)
  return names.join(', ')
})

await check('node ace broadcast:test passes the starter policy tests', async () => {
  const output = await ace('broadcast:test')
  return output.trim().split('\n').at(-1) ?? ''
})

await check('tsc --noEmit in the configured app', async () => {
  await writeFile(join(APP, 'types_check.ts'), TYPES_CHECK)
  const tsc = join(APP, 'node_modules/typescript/bin/tsc')
  const result = await run(process.execPath, [tsc, '--noEmit'], { cwd: APP, env: CHILD_ENV })
  assert(result.code === 0, result.output)
  return ''
})

await check('the app boots and its embedded server delivers an event', async () => {
  const port = await freePort()
  const server = await startServer(APP, port, CHILD_ENV)
  try {
    const dotenv = await readFile(join(APP, '.env'), 'utf8')
    const env = await new EnvParser(dotenv, pathToFileURL(`${APP}/`), {
      ignoreProcessEnv: true,
    }).parse()
    await exchangeEvent(port, {
      appId: env.PUSHER_APP_ID!,
      key: env.PUSHER_APP_KEY!,
      secret: env.PUSHER_APP_SECRET!,
    })
  } catch (error) {
    await server.stop()
    throw new Error(`${(error as Error).message}\n${server.output()}`)
  }
  // SIGTERM: the provider closes the embedded server and the app exits 0
  const code = await server.stop()
  assert(code === 0, `the app exited ${code} on SIGTERM:\n${server.output()}`)
  return `a WebSocket client got an event from the HTTP API on port ${port}, then a clean exit`
})

console.log(`\npack:check PASSED: ${passed} checks in ${seconds()} s`)
if (process.argv.includes('--keep')) {
  console.log(`the app is kept in ${APP}`)
} else {
  await rm(WORK, { recursive: true, force: true })
}
