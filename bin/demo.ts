/*
|--------------------------------------------------------------------------
| npm run demo
|--------------------------------------------------------------------------
|
| Prepares what the example app needs (.env, database, seed users) and
| starts it with the embedded Pusher server. No account, no network.
| With "--nodes=2", two nodes of the app sharing one Redis (demo_nodes.ts).
|
*/
import { execFileSync, spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync } from 'node:fs'
import { nodeCount, startNodes } from './demo_nodes.ts'

const root = new URL('../', import.meta.url)
const node = process.execPath
const nodeArgs = ['--conditions=adonisjs-broadcasting:source']
const nodes = nodeCount(process.argv.slice(2))

if (!existsSync(new URL('.env', root))) {
  copyFileSync(new URL('.env.example', root), new URL('.env', root))
  console.log('created .env from .env.example')
}
mkdirSync(new URL('tmp/', root), { recursive: true })

const ace = (...args: string[]) =>
  execFileSync(node, [...nodeArgs, 'ace.js', ...args], { cwd: root, stdio: 'inherit' })

ace('migration:run', '--force')
ace('db:seed')

const logins = `
  Logins (password "password"):
    admin@example.com   role admin
    basic@example.com   role basic
`
const serverCommand = [node, ...nodeArgs, '--import=@poppinss/ts-exec', 'bin/server.ts']

if (nodes > 1) {
  await startNodes({ count: nodes, root, command: serverCommand, logins })
} else {
  startOne()
}

function startOne() {
  const port = process.env.PORT ?? '3333'
  const server = spawn(serverCommand[0], serverCommand.slice(1), {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, PORT: port, HOST: process.env.HOST ?? '127.0.0.1' },
  })

  setTimeout(() => {
    console.log(`
  Demo running at http://127.0.0.1:${port}
${logins}`)
  }, 1500).unref()

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => server.kill(signal))
  }
  server.on('exit', (code) => process.exit(code ?? 0))
}
