import { test } from '@japa/runner'
import { spawn } from 'node:child_process'
import PusherSdk from 'pusher'
import PusherModule from 'pusher-js'
import env from '#start/env'
import { freePort } from '../../helpers/app_process.ts'
import { once, sleep } from '../../helpers/server_clients.ts'

const Pusher = PusherModule as unknown as typeof import('pusher-js').default

test.group('broadcast:serve', () => {
  test('serves on its own port, takes the HTTP API, and client events follow the policy', async ({
    assert,
    cleanup,
  }) => {
    const port = await freePort()
    const child = spawn(
      process.execPath,
      ['--conditions=source', 'ace.js', 'broadcast:serve', `--port=${port}`, '--host=127.0.0.1'],
      {
        cwd: new URL('../../../', import.meta.url),
        env: { ...process.env, NODE_ENV: 'development' },
        stdio: ['ignore', 'pipe', 'pipe'],
      }
    )
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    cleanup(async () => {
      if (child.exitCode === null) {
        child.kill('SIGINT')
        await new Promise((resolve) => child.once('exit', resolve))
      }
    })

    const deadline = Date.now() + 30_000
    while (!output.includes('Broadcast server on') && Date.now() < deadline) {
      if (child.exitCode !== null) assert.fail(`broadcast:serve exited: ${output}`)
      await sleep(100)
    }

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
})
