import { test } from '@japa/runner'
import { spawn } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { once } from 'node:events'
import { WebSocket } from 'ws'
import env from '#start/env'
import { freePort, startAppProcess } from '../../helpers/app_process.ts'
import { RawClient, within } from '../../helpers/server_clients.ts'
import { eventually, WebhookReceiver } from '../../helpers/webhook_receiver.ts'

/**
 * What a third party receiving the demo's webhooks is given
 */
const RECEIVER_SECRET = 'third-party-receiver-secret'

test.group("Webhooks | the demo's outgoing webhooks and its own incoming route", () => {
  test('a receiver cannot replay what the demo sent it into the demo: another secret signs it', async ({
    assert,
    cleanup,
  }) => {
    const receiver = await new WebhookReceiver().start()
    cleanup(() => receiver.close())
    const demo = await startAppProcess(['--import=@poppinss/ts-exec', 'bin/demo.ts'], {
      LOG_LEVEL: 'warn',
      BROADCAST_WEBHOOK_URL: `${receiver.url}/pusher`,
      BROADCAST_WEBHOOK_SECRET: RECEIVER_SECRET,
    })
    cleanup(() => demo.stop())

    // A subscription makes "channel_occupied"
    const client = await RawClient.open(
      new WebSocket(`ws://127.0.0.1:${demo.port}/app/${env.get('PUSHER_APP_KEY')}`)
    )
    cleanup(() => client.ws.close())
    client.send({ event: 'pusher:subscribe', data: { channel: 'releases' } })
    await eventually(() => receiver.received.length > 0, 'a webhook from the demo', 10_000)

    const [webhook] = receiver.received
    const signature = webhook.headers['x-pusher-signature'] as string

    // The receiver posts it, as received, to the demo's incoming route: fresh, but not ours
    const replay = await fetch(`${demo.url}/broadcasting/webhooks`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-pusher-key': webhook.headers['x-pusher-key'] as string,
        'x-pusher-signature': signature,
      },
      body: webhook.rawBody,
    })
    assert.equal(replay.status, 401)
    const { error } = (await replay.json()) as { error: { code: string; message: string } }
    assert.equal(error.code, 'E_INVALID_WEBHOOK')
    assert.include(error.message, 'X-Pusher-Signature does not match the body')

    // It reached the receiver signed with the receiver's own secret
    assert.include(webhook.rawBody, '"channel_occupied"')
    assert.equal(
      signature,
      createHmac('sha256', RECEIVER_SECRET).update(webhook.rawBody).digest('hex'),
      "signed with the receiver's secret"
    )
  }).timeout(90_000)

  test('with a webhook URL and no secret of its own, the demo does not start, and says why', async ({
    assert,
  }) => {
    for (const secret of ['', env.get('PUSHER_APP_SECRET').release()]) {
      const child = spawn(
        process.execPath,
        [
          '--conditions=adonisjs-broadcasting:source',
          '--import=@poppinss/ts-exec',
          'bin/server.ts',
        ],
        {
          cwd: new URL('../../../', import.meta.url),
          env: {
            ...process.env,
            NODE_ENV: 'development',
            HOST: '127.0.0.1',
            PORT: String(await freePort()),
            BROADCAST_WEBHOOK_URL: 'http://127.0.0.1:9/pusher',
            BROADCAST_WEBHOOK_SECRET: secret,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        }
      )
      let output = ''
      child.stdout.on('data', (chunk) => (output += chunk))
      child.stderr.on('data', (chunk) => (output += chunk))
      const [code] = await within(once(child, 'exit'), 'the app to exit', 30_000).catch((error) => {
        child.kill('SIGKILL')
        throw error
      })
      assert.notEqual(code, 0, output)
      assert.include(output, 'Set BROADCAST_WEBHOOK_SECRET to a secret of its own')
    }
  }).timeout(90_000)
})
