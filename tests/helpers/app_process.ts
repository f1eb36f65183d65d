import { execFile, spawn } from 'node:child_process'
import { promisify } from 'node:util'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

const ROOT = new URL('../../', import.meta.url)

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}

/**
 * What "npm run demo" prepares before it starts the app (bin/demo.ts): the
 * development database migrated, with the two demo logins. For tests that
 * start bin/server.ts itself, several nodes at once.
 */
export async function prepareExampleDatabase() {
  for (const command of [['migration:run', '--force'], ['db:seed']]) {
    await promisify(execFile)(
      process.execPath,
      ['--conditions=adonisjs-broadcasting:source', 'ace.js', ...command],
      {
        cwd: ROOT,
        env: { ...process.env, NODE_ENV: 'development' },
      }
    )
  }
}

/**
 * Runs the example app (or a script that starts it) in a child process on a
 * free port (or "options.port", to start a node again where it was), waits
 * until its page answers, and stops it afterwards. The child's output is
 * kept for the error message when it does not start.
 */
export async function startAppProcess(
  nodeArgs: string[],
  env: Record<string, string> = {},
  options: { port?: number } = {}
) {
  const port = options.port ?? (await freePort())
  const output: string[] = []
  const child = spawn(
    process.execPath,
    ['--conditions=adonisjs-broadcasting:source', ...nodeArgs],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: 'development',
        HOST: '127.0.0.1',
        ...env,
        PORT: String(port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }
  )
  child.stdout.on('data', (chunk) => output.push(String(chunk)))
  child.stderr.on('data', (chunk) => output.push(String(chunk)))

  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline && child.exitCode === null) {
    const ok = await fetch(url).then(
      (response) => response.ok,
      () => false
    )
    if (ok) {
      return {
        url,
        port,
        output,
        child,
        async stop() {
          if (child.exitCode !== null) return
          child.kill('SIGTERM')
          await new Promise((resolve) => child.once('exit', resolve))
        },
      }
    }
    await sleep(250)
  }
  child.kill('SIGKILL')
  throw new Error(`${nodeArgs.join(' ')} did not start on ${url}:\n${output.join('')}`)
}
