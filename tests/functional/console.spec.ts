import { test } from '@japa/runner'
import User from '#models/user'
import { Clients, sdkAuthorizer, sleep } from '../helpers/server_clients.ts'
import { CONSOLE_CHANNEL } from '../../src/console/console_feed.ts'

async function users() {
  return {
    admin: await User.findByOrFail('email', 'admin@example.com'),
    basic: await User.findByOrFail('email', 'basic@example.com'),
  }
}

test.group('Console | page and test events', (group) => {
  const clients = new Clients()
  group.each.teardown(() => clients.closeAll())

  test('the admin gets the page; the basic user and guests are refused by the policy', async ({
    client,
    assert,
  }) => {
    const { admin, basic } = await users()
    const page = await client.get('/broadcasting/console').loginAs(admin)
    page.assertStatus(200)
    assert.include(page.text(), 'id="console-config"')
    assert.include(page.text(), CONSOLE_CHANNEL)
    assert.match(page.header('content-security-policy') ?? '', /script-src 'nonce-/)

    const refused = await client.get('/broadcasting/console').loginAs(basic)
    refused.assertStatus(403)
    assert.include(refused.text(), 'user.role == &#39;admin&#39;')
    ;(await client.get('/broadcasting/console')).assertStatus(403)
  })

  test('test events: sent for the admin, 400 for bad input, 403 for others', async ({
    client,
    assert,
  }) => {
    const { admin, basic } = await users()
    const listener = await clients.raw()
    listener.send({ event: 'pusher:subscribe', data: { channel: 'console-test' } })
    await listener.next((frame) => frame.event === 'pusher_internal:subscription_succeeded')

    const post = (body: Record<string, unknown>, user = admin) =>
      client.post('/broadcasting/console/events').json(body).withCsrfToken().loginAs(user)

    const sent = await post({ channel: 'console-test', event: 'Ping', data: '{"n":1}' })
    sent.assertStatus(200)
    const frame = await listener.next((f) => f.event === 'Ping')
    assert.deepEqual(frame.data, { n: 1 })

    ;(await post({ channel: 'console-test', event: 'Ping', data: '{oops' })).assertStatus(400)
    ;(await post({ channel: 'bad channel!', event: 'Ping' })).assertStatus(400)
    ;(await post({ channel: ['x'], event: 'Ping' })).assertStatus(400)
    ;(
      await post({ channel: 'c', event: 'Big', data: JSON.stringify('x'.repeat(20_000)) })
    ).assertStatus(400)
    ;(await post({ channel: 'console-test', event: 'Ping' }, basic)).assertStatus(403)
  })

  test('the console channel receives connections, events and decisions live', async ({
    client,
    assert,
  }) => {
    const { basic } = await users()
    const console = await clients.raw()
    const { auth } = await (await sdkAuthorizer())(console.socketId, CONSOLE_CHANNEL)
    console.send({ event: 'pusher:subscribe', data: { channel: CONSOLE_CHANNEL, auth } })
    await console.next((frame) => frame.event === 'pusher_internal:subscription_succeeded')

    const other = await clients.raw()
    other.send({ event: 'pusher:subscribe', data: { channel: 'console-watched' } })
    await other.next((frame) => frame.event === 'pusher_internal:subscription_succeeded')
    const broadcast = (await import('@adonisjs/core/services/app')).default
    const service = await broadcast.container.make('broadcast')
    await service.channel('console-watched', 'Watched', { secret: '<script>' })
    await client
      .post('/broadcasting/authorize')
      .form({ socket_id: '1234.5678', channel_name: 'private-admins' })
      .withCsrfToken()
      .loginAs(basic)

    const updates: any[] = []
    const deadline = Date.now() + 4000
    while (Date.now() < deadline) {
      updates.splice(0, updates.length, ...console.of('console.update').map((f) => f.data))
      const seen = updates.some((u) => u.events.some((e: any) => e.event === 'Watched'))
      const decided = updates.some((u) =>
        u.decisions.some((d: any) => d.channel === 'private-admins' && d.user === String(basic.id))
      )
      if (seen && decided) break
      await sleep(100)
    }
    const last = updates.at(-1)
    assert.isAtLeast(last.connections, 2)
    assert.isTrue(last.sockets.some((s: any) => s.id === other.socketId))
    assert.deepInclude(last.channels, {
      name: 'console-watched',
      type: 'public',
      count: 1,
      members: [],
    })
    const event = updates.flatMap((u) => u.events).find((e) => e.event === 'Watched')
    assert.deepEqual(event.channels, ['console-watched'])
    assert.equal(event.data, '{"secret":"<script>"}')
    // Decisions of earlier tests may be listed too: this request's is the basic user's
    const decision = updates
      .flatMap((u) => u.decisions)
      .find((d) => d.channel === 'private-admins' && d.user === String(basic.id))
    assert.include(decision, { allowed: false, pattern: 'private-admins', user: String(basic.id) })
    // The console's own traffic is not fed back to it
    assert.isFalse(updates.flatMap((u) => u.events).some((e) => e.event === 'console.update'))
  })
})
