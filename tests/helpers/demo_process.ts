import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import PusherSdk from 'pusher'
import { freePort, startAppProcess } from './app_process.ts'

/**
 * Runs "npm run demo" (bin/demo.ts, what the README's command runs) on a
 * free port, waits until its page answers, and stops it afterwards
 */
export function startDemo() {
  return startAppProcess(['--import=@poppinss/ts-exec', 'bin/demo.ts'])
}

/**
 * The Pusher HTTP API of the demo's embedded server, as the app's own
 * code (or a worker) would publish
 */
export function demoSdk(port: number) {
  return new PusherSdk({
    appId: 'demo',
    key: 'demo-key',
    secret: 'demo-secret',
    host: '127.0.0.1',
    port: String(port),
    useTLS: false,
  })
}

/**
 * Runs "npm run demo -- --nodes=2" with REDIS_PORT pointing at nothing, so
 * it starts a redis-server of its own; resolves once it printed the nodes'
 * URLs (it does when every node answers). "stop" sends SIGTERM.
 */
export async function startDemoNodes() {
  const output: string[] = []
  const child = spawn(
    process.execPath,
    [
      '--conditions=adonisjs-broadcasting:source',
      '--import=@poppinss/ts-exec',
      'bin/demo.ts',
      '--nodes=2',
    ],
    {
      cwd: new URL('../../', import.meta.url),
      env: {
        ...process.env,
        NODE_ENV: 'development',
        LOG_LEVEL: 'warn',
        HOST: '127.0.0.1',
        PORT: String(await freePort()),
        REDIS_HOST: '127.0.0.1',
        REDIS_PORT: String(await freePort()),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }
  )
  child.stdout.on('data', (chunk) => output.push(String(chunk)))
  child.stderr.on('data', (chunk) => output.push(String(chunk)))
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    await once(child, 'exit')
  }

  const deadline = Date.now() + 90_000
  while (Date.now() < deadline && child.exitCode === null) {
    const text = output.join('')
    const urls = [...text.matchAll(/node \d+ {2}(http:\/\/\S+)/g)].map((match) => match[1])
    const redis = text.match(/redis-server started on 127\.0\.0\.1:(\d+)/)
    if (urls.length === 2 && redis) {
      return { urls, redisPort: Number(redis[1]), output, child, stop }
    }
    await sleep(250)
  }
  await stop()
  throw new Error(`npm run demo -- --nodes=2 did not start:\n${output.join('')}`)
}
