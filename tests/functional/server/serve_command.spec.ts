import { test } from '@japa/runner'
import { spawn } from 'node:child_process'
import PusherSdk from 'pusher'
import PusherModule from 'pusher-js'
import env from '#start/env'
import { freePort } from '../../helpers/app_process.ts'
import { WebSocket } from 'ws'
import { once, RawClient, sleep, within } from '../../helpers/server_clients.ts'

const Pusher = PusherModule as unknown as typeof import('pusher-js').default

/**
 * Runs "node ace broadcast:serve" on a free port until it says it serves;
 * stopped with SIGINT afterwards if still running
 */
async function serve(cleanup: (fn: () => Promise<void>) => void) {
  const port = await freePort()
  const child = spawn(
    process.execPath,
    [
      '--conditions=adonisjs-broadcasting:source',
      'ace.js',
      'broadcast:serve',
      `--port=${port}`,
      '--host=127.0.0.1',
    ],
    {
      cwd: new URL('../../../', import.meta.url),
      env: { ...process.env, NODE_ENV: 'development' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }
  )
  const output = { stdout: '', stderr: '' }
  child.stdout.on('data', (chunk) => (output.stdout += chunk))
  child.stderr.on('data', (chunk) => (output.stderr += chunk))
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  cleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT')
      await exited
    }
  })

  const deadline = Date.now() + 30_000
  while (!output.stdout.includes('Broadcast server on') && Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`broadcast:serve exited: ${output.stdout}${output.stderr}`)
    }
    await sleep(100)
  }
  return { port, child, output, exited }
}

test.group('broadcast:serve', () => {
  test('serves on its own port, takes the HTTP API, and client events follow the policy', async ({
    assert,
    cleanup,
  }) => {
    const { port } = await serve(cleanup)

    const sdk = new PusherSdk({
      appId: env.get('PUSHER_APP_ID'),
      key: env.get('PUSHER_APP_KEY'),
      secret: env.get('PUSHER_APP_SECRET').release(),
      host: '127.0.0.1',
      port: String(port),
      useTLS: false,
    })
    const connect = (userId: string) => {
      const client = new Pusher(env.get('PUSHER_APP_KEY'), {
        cluster: '',
        wsHost: '127.0.0.1',
        wsPort: port,
        forceTLS: false,
        enabledTransports: ['ws'],
        channelAuthorization: {
          customHandler: ({ socketId, channelName }: any, callback: any) =>
            callback(
              null,
              sdk.authorizeChannel(socketId, channelName, {
                user_id: userId,
                user_info: { name: userId },
              })
            ),
        } as any,
      })
      cleanup(() => client.disconnect())
      return client
    }

    const alice = connect('1')
    const bob = connect('2')
    const aliceRoom = alice.subscribe('presence-chat.1')
    const bobRoom = bob.subscribe('presence-chat.1')
    await once(aliceRoom, 'pusher:subscription_succeeded', 5000)
    await once(bobRoom, 'pusher:subscription_succeeded', 5000)

    /**
     * policies/channels.yaml says clientEvents: true for presence-chat.<roomId:int>
     */
    const whisper = once(bobRoom, 'client-typing')
    aliceRoom.trigger('client-typing', { at: 1 })
    assert.deepEqual(await whisper, { at: 1 })

    const release = once(bob.subscribe('releases'), 'NewRelease', 5000)
    await sleep(100)
    await sdk.trigger('releases', 'NewRelease', { version: '4.0' })
    assert.deepEqual(await release, { version: '4.0' })
  }).timeout(45_000)

  test('SIGTERM with subscribed clients: they get 4200, the command exits 0 with no error', async ({
    assert,
    cleanup,
  }) => {
    const { port, child, output, exited } = await serve(cleanup)
    const key = env.get('PUSHER_APP_KEY')
    const clients = await Promise.all(
      Array.from({ length: 4 }, () =>
        RawClient.open(new WebSocket(`ws://127.0.0.1:${port}/app/${key}`))
      )
    )
    for (const client of clients) {
      client.send({ event: 'pusher:subscribe', data: { channel: 'releases' } })
      await client.next((frame) => frame.event === 'pusher_internal:subscription_succeeded')
    }

    child.kill('SIGTERM')
    const code = await within(exited, 'broadcast:serve to exit', 15_000)
    const printed = output.stdout + output.stderr
    for (const client of clients) assert.equal(await client.closed(), 4200)
    assert.equal(code, 0, printed)
    assert.notInclude(printed, 'TypeError')
    assert.notMatch(printed, /error|failed/i)
    assert.include(output.stdout, 'closing the broadcast server')
  }).timeout(45_000)
})
