import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}

/**
 * Runs "npm run demo" (bin/demo.ts, what the README's command runs) on a
 * free port, waits until its page answers, and stops it afterwards
 */
export async function startDemo() {
  const port = await freePort()
  const output: string[] = []
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=source', '--import=@poppinss/ts-exec', 'bin/demo.ts'],
    {
      cwd: new URL('../../', import.meta.url),
      env: { ...process.env, NODE_ENV: 'development', PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }
  )
  child.stdout!.on('data', (chunk) => output.push(String(chunk)))
  child.stderr!.on('data', (chunk) => output.push(String(chunk)))

  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false
    )
    if (ok) {
      return {
        url,
        port,
        output,
        async stop() {
          child.kill('SIGTERM')
          await new Promise((resolve) => child.once('exit', resolve))
        },
      }
    }
    await sleep(250)
  }
  child.kill('SIGKILL')
  throw new Error(`The demo did not start on ${url}:\n${output.join('')}`)
}
