import { spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'

interface RunOptions {
  cwd: string
  env: NodeJS.ProcessEnv
}

/**
 * Runs a command to its end: its exit code and its stdout and stderr
 * together, never a rejection for a non-zero exit
 */
export function run(command: string, args: string[], options: RunOptions) {
  return new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
    const output: string[] = []
    child.stdout.on('data', (chunk) => output.push(String(chunk)))
    child.stderr.on('data', (chunk) => output.push(String(chunk)))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, output: output.join('') }))
  })
}

/**
 * Starts the app's HTTP server ("bin/server.ts" through ts-exec, as the
 * assembler does) on a port, and waits until it answers
 */
export async function startServer(cwd: string, port: number, env: NodeJS.ProcessEnv) {
  const output: string[] = []
  const child = spawn(process.execPath, ['--import=@poppinss/ts-exec', 'bin/server.ts'], {
    cwd,
    env: { ...env, HOST: '127.0.0.1', PORT: String(port), NODE_ENV: 'development' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout.on('data', (chunk) => output.push(String(chunk)))
  child.stderr.on('data', (chunk) => output.push(String(chunk)))
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))

  const server = {
    output: () => output.join(''),
    /**
     * SIGTERM, as a process manager stops it; resolves with the exit code
     */
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM')
      return exited
    },
  }

  // Any answer will do: the fresh app has no routes
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline && child.exitCode === null) {
    const up = await fetch(`http://127.0.0.1:${port}/`).then(
      () => true,
      () => false
    )
    if (up) return server
    await sleep(200)
  }
  await server.stop()
  throw new Error(`bin/server.ts did not answer on port ${port}:\n${server.output()}`)
}
