import { test } from '@japa/runner'
import { eventually } from '../../helpers/webhook_receiver.ts'
import { EmbeddedServer } from '../../../packages/engine/src/embedded_server.ts'
import type { ClientEventsAllowed } from '../../../packages/engine/src/subscriptions/message_handler.ts'
import {
  Clients,
  broadcastService,
  localDriver,
  sdkAuthorizer,
  sleep,
  within,
} from '../../helpers/server_clients.ts'

/**
 * Resolves once an Echo channel's subscription succeeded
 */
function subscribed(channel: any) {
  if (channel.subscription?.subscribed) return Promise.resolve()
  return within(new Promise<void>((resolve) => channel.subscribed(() => resolve())), 'subscribed')
}

/**
 * An embedded server with the app's credentials and its own client-event
 * rule, on a port of its own. Returns the port.
 */
async function serverWith(
  clients: Clients,
  clientEventsAllowed: ClientEventsAllowed,
  cleanup: (fn: () => Promise<void>) => void
) {
  const { appId, key, secret } = (await localDriver()).credentials
  const server = new EmbeddedServer({ appId, key, secret, clientEventsAllowed })
  const { port } = await server.listen(0, '127.0.0.1')
  cleanup(async () => {
    await clients.closeAll()
    await server.close()
  })
  return port
}

test.group('Embedded server | laravel-echo', (group) => {
  const clients = new Clients()
  group.each.teardown(() => clients.closeAll())

  test('listen(".NewRelease") on a public and a private channel', async ({ assert }) => {
    const echo = await clients.echo()
    const received: unknown[] = []
    const releases = echo
      .channel('releases')
      .listen('.NewRelease', (e: unknown) => received.push(e))
    const orders = echo
      .private('orders.1')
      .listen('.OrderShipped', (e: unknown) => received.push(e))
    await subscribed(releases)
    await subscribed(orders)

    const broadcast = await broadcastService()
    await broadcast.use('local').channel('releases', 'NewRelease', { version: '2.0' })
    await broadcast.use('local').channel('private-orders.1', 'OrderShipped', { id: 9 })
    await sleep(100)
    assert.deepEqual(received, [{ version: '2.0' }, { id: 9 }])
  })

  test('join(): here, joining and leaving across two users and two tabs of one', async ({
    assert,
  }) => {
    const asAda = await sdkAuthorizer({ user_id: 1, user_info: { name: 'Ada' } })
    const asBob = await sdkAuthorizer({ user_id: 2, user_info: { name: 'Bob' } })

    const ada = await clients.echo(asAda)
    const joining: any[] = []
    const leaving: any[] = []
    const here = new Promise<any[]>((resolve) =>
      ada
        .join('chat.1')
        .here(resolve)
        .joining((user: unknown) => joining.push(user))
        .leaving((user: unknown) => leaving.push(user))
    )
    assert.deepEqual(await within(here, 'here'), [{ name: 'Ada' }])

    const bobTab1 = await clients.echo(asBob)
    const bobTab2 = await clients.echo(asBob)
    const bobHere = new Promise<any[]>((resolve) => bobTab1.join('chat.1').here(resolve))
    assert.sameDeepMembers(await within(bobHere, 'here'), [{ name: 'Ada' }, { name: 'Bob' }])
    await within(new Promise((resolve) => bobTab2.join('chat.1').here(resolve)), 'here')
    await sleep(100)
    assert.deepEqual(joining, [{ name: 'Bob' }])

    bobTab1.leave('chat.1')
    await sleep(150)
    assert.deepEqual(leaving, [])
    bobTab2.disconnect()
    await sleep(150)
    // Held for the leave-event delay: a reload would have taken it back
    assert.deepEqual(leaving, [])
    await eventually(() => leaving.length > 0, 'leaving')
    assert.deepEqual(leaving, [{ name: 'Bob' }])
  })

  test('whisper reaches others where clientEvents allows it, never the sender', async ({
    assert,
    cleanup,
  }) => {
    const port = await serverWith(
      clients,
      (channel) => channel === 'private-typing.allowed',
      cleanup
    )
    const sender = await clients.echo(undefined, { port })
    const receiver = await clients.echo(undefined, { port })
    const heard: Record<string, unknown[]> = { allowed: [], denied: [], self: [] }
    const errors: any[] = []
    ;(sender.connector as any).pusher.connection.bind('error', (e: any) => errors.push(e))

    const senderAllowed = sender.private('typing.allowed')
    senderAllowed.listenForWhisper('typing', (e: unknown) => heard.self.push(e))
    const senderDenied = sender.private('typing.denied')
    const receiverAllowed = receiver
      .private('typing.allowed')
      .listenForWhisper('typing', (e: unknown) => heard.allowed.push(e))
    const receiverDenied = receiver
      .private('typing.denied')
      .listenForWhisper('typing', (e: unknown) => heard.denied.push(e))
    for (const channel of [senderAllowed, senderDenied, receiverAllowed, receiverDenied]) {
      await subscribed(channel)
    }

    senderAllowed.whisper('typing', { name: 'Ada' })
    senderDenied.whisper('typing', { name: 'Ada' })
    await sleep(150)

    assert.deepEqual(heard.allowed, [{ name: 'Ada' }])
    assert.deepEqual(heard.denied, [])
    assert.deepEqual(heard.self, [])
    assert.match(errors[0]?.data?.message ?? '', /not enabled on "private-typing.denied"/)
  })

  test('client events over 10 per second get a non-fatal 4301', async ({ assert, cleanup }) => {
    const port = await serverWith(clients, () => true, cleanup)
    const sender = await clients.echo(undefined, { port })
    const receiver = await clients.echo(undefined, { port })
    const errors: any[] = []
    const pusher = (sender.connector as any).pusher
    pusher.connection.bind('error', (e: any) => errors.push(e))
    let heard = 0
    const out = sender.private('burst')
    const into = receiver.private('burst').listenForWhisper('tick', () => heard++)
    await subscribed(out)
    await subscribed(into)

    for (let i = 0; i < 15; i++) out.whisper('tick', { i })
    await sleep(200)

    assert.equal(heard, 10)
    assert.isTrue(errors.some((e) => e.data?.code === 4301))
    assert.equal(pusher.connection.state, 'connected')
  })
})
