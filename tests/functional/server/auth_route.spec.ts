import { test } from '@japa/runner'
import { AppSession } from '../../helpers/app_session.ts'
import { Clients, broadcastService, once, sleep } from '../../helpers/server_clients.ts'
import { createManager } from '../../helpers/broadcast.ts'
import { defineConfig } from '../../../src/define_config.ts'
import { drivers } from '../../../src/connections.ts'
import type { LocalDriver } from '../../../src/drivers/local.ts'

test.group('Embedded server | through the app auth route', (group) => {
  const clients = new Clients()
  group.each.teardown(() => clients.closeAll())

  test('an admin session subscribes to private-admins and receives broadcast.emit', async ({
    assert,
  }) => {
    const admin = await AppSession.login('admin@example.com')
    const pusher = await clients.pusher({ authorizer: admin.authorizer() })
    const channel = pusher.subscribe('private-admins')
    await once(channel, 'pusher:subscription_succeeded')

    const received = once(channel, 'AdminUserAlert')
    const broadcast = await broadcastService()
    await broadcast.channel('private-admins', 'AdminUserAlert', { message: 'disk full' })
    assert.deepEqual(await received, { message: 'disk full' })
  })

  test('a basic session is refused private-admins and no event leaks', async ({ assert }) => {
    const basic = await AppSession.login('basic@example.com')
    const pusher = await clients.pusher({ authorizer: basic.authorizer() })
    const channel = pusher.subscribe('private-admins')

    const error: any = await once(channel, 'pusher:subscription_error')
    assert.include(error.error, 'status 403')
    assert.include(error.error, 'E_CHANNEL_FORBIDDEN')

    const leaked: unknown[] = []
    channel.bind('AdminUserAlert', (data: unknown) => leaked.push(data))
    const broadcast = await broadcastService()
    await broadcast.channel('private-admins', 'AdminUserAlert', { message: 'secret' })
    await sleep(200)
    assert.deepEqual(leaked, [])
  })

  test('presence through the route: members carry the policy mapping only', async ({ assert }) => {
    const basic = await AppSession.login('basic@example.com')
    const pusher = await clients.pusher({ authorizer: basic.authorizer('/broadcasting/auth') })
    const channel: any = pusher.subscribe('presence-chat.1')
    const members: any = await once(channel, 'pusher:subscription_succeeded')

    assert.equal(members.count, 1)
    assert.deepEqual(members.me.info, { name: 'Bob Basic', role: 'basic' })
    assert.isString(members.me.id)
  })
})

test.group('Local driver outside the serving process', () => {
  test('publishes through the running app when "publishTo" is set', async ({ assert }) => {
    const clients = new Clients()
    try {
      const pusher = await clients.pusher()
      const channel = pusher.subscribe('releases')
      await once(channel, 'pusher:subscription_succeeded')

      /**
       * A second manager, as an ace command or a queue worker has: its own
       * embedded server serves nobody
       */
      const serving = (await broadcastService()).driver('local') as LocalDriver
      const worker = await createManager(
        defineConfig({
          default: 'local',
          connections: {
            local: drivers.local({
              ...serving.credentials,
              publishTo: { host: '127.0.0.1', port: process.env.PORT! },
            }),
          },
        })
      )

      const received = once(channel, 'NewRelease')
      await worker.channel('releases', 'NewRelease', { version: '3.0' })
      assert.deepEqual(await received, { version: '3.0' })
      await worker.close()
    } finally {
      await clients.closeAll()
    }
  })

  test('without "publishTo" it fails loudly instead of dropping the event', async ({ assert }) => {
    const worker = await createManager(
      defineConfig({
        default: 'local',
        connections: { local: drivers.local({ appId: '1', key: 'k', secret: 's' }) },
      })
    )
    await assert.rejects(
      () => worker.channel('releases', 'NewRelease', {}),
      /embedded broadcast server is not serving clients in this process/
    )
    await worker.close()
  })
})
