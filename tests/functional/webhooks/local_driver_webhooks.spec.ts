import { test } from '@japa/runner'
import PusherModule from 'pusher-js'
import PusherSdk from 'pusher'
import emitter from '@adonisjs/core/services/emitter'
import { LocalDriver } from '../../../src/drivers/local.ts'
import type { LifecycleEvent } from '@adonisjs-broadcasting/engine'
import { eventually, WebhookReceiver } from '../../helpers/webhook_receiver.ts'
import { HOST, port, sleep } from '../../helpers/server_clients.ts'
import { subscribed } from '../../helpers/cluster_suite.ts'

const Pusher = PusherModule as unknown as typeof import('pusher-js').default

/**
 * A pusher-js client of a server; presence channels join as "userId"
 */
function client(serverPort: number, key: string, sdk?: PusherSdk, userId?: string) {
  return new Pusher(key, {
    cluster: '',
    wsHost: HOST,
    wsPort: serverPort,
    forceTLS: false,
    enabledTransports: ['ws'],
    channelAuthorization: {
      customHandler: ({ socketId, channelName }: any, callback: any) =>
        callback(null, sdk!.authorizeChannel(socketId, channelName, { user_id: userId! })),
    } as any,
  })
}

test.group('Webhooks | from the local driver', () => {
  test('each lifecycle event reaches the webhook once, signed for the official SDK; a reload within 3 s sends no leave', async ({
    assert,
    cleanup,
  }) => {
    const receiver = await new WebhookReceiver().start()
    cleanup(() => receiver.close())
    const app = { appId: WebhookReceiver.APP_ID, key: WebhookReceiver.KEY }
    const driver = new LocalDriver({
      ...app,
      secret: WebhookReceiver.SECRET,
      webhooks: [
        { url: `${receiver.url}/all` },
        { url: `${receiver.url}/members`, events: ['member_added', 'member_removed'] },
      ],
    })
    const { port: serverPort } = await driver.listen(0, HOST)
    cleanup(() => driver.close())
    const sdk = new PusherSdk({
      ...app,
      secret: WebhookReceiver.SECRET,
      host: HOST,
      port: String(serverPort),
    })

    const page = client(serverPort, app.key, sdk, 'ada')
    await subscribed(page.subscribe('presence-room'))
    await eventually(() => receiver.delivered('/all').length >= 2, 'the join webhooks')

    // A page reload: the same user back within the default 3 s delay
    page.disconnect()
    await sleep(300)
    const reloaded = client(serverPort, app.key, sdk, 'ada')
    await subscribed(reloaded.subscribe('presence-room'))
    await sleep(3500)

    reloaded.disconnect()
    await eventually(() => receiver.delivered('/all').length >= 4, 'the leave webhooks', 8000)
    await sleep(200)

    assert.isTrue(receiver.received.every((request) => request.valid))
    const channel = 'presence-room'
    assert.deepEqual(receiver.delivered('/all'), [
      { name: 'channel_occupied', channel },
      { name: 'member_added', channel, user_id: 'ada' },
      { name: 'channel_vacated', channel },
      { name: 'member_removed', channel, user_id: 'ada' },
    ] satisfies LifecycleEvent[])
    assert.deepEqual(receiver.delivered('/members'), [
      { name: 'member_added', channel, user_id: 'ada' },
      { name: 'member_removed', channel, user_id: 'ada' },
    ])
    assert.deepInclude(driver.webhookStats(), { dropped: 0, failed: 0 })
  }).timeout(20_000)

  test("the app's own server emits them on the app's emitter", async ({ assert, cleanup }) => {
    const occupied: unknown[] = []
    const listener = (event: unknown) => occupied.push(event)
    emitter.on('broadcast:channel_occupied', listener)
    cleanup(() => emitter.off('broadcast:channel_occupied', listener))

    const visitor = client(port(), process.env.PUSHER_APP_KEY ?? 'demo-key')
    cleanup(() => visitor.disconnect())
    await subscribed(visitor.subscribe('lifecycle-probe'))
    await eventually(() => occupied.length > 0, 'broadcast:channel_occupied')
    assert.deepEqual(occupied, [{ name: 'channel_occupied', channel: 'lifecycle-probe' }])
  })
})
