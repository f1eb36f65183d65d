import { test } from '@japa/runner'
import { LocalDriver } from '../../../src/drivers/local.ts'
import { E_BROADCAST_SERVER_NOT_RUNNING } from '../../../src/errors.ts'
import { Clients, HOST, localDriver, port, sdk } from '../../helpers/server_clients.ts'

/**
 * A process whose embedded server serves nobody (an ace command, a queue
 * worker) with the in-memory adapter: user delivery goes to the app that
 * serves clients ("publishTo"), or fails loudly, never silently
 */
test.group('Local driver | user delivery from a process that serves nobody', (group) => {
  const clients = new Clients()
  group.each.teardown(() => clients.closeAll())

  async function worker(publishTo?: { host: string; port: number }) {
    const { credentials } = await localDriver()
    return new LocalDriver({ ...credentials, publishTo })
  }

  test('toUser and terminateUserConnections reach the app through publishTo', async ({
    assert,
    cleanup,
  }) => {
    const signer = await sdk()
    const user = await clients.raw()
    user.send({
      event: 'pusher:signin',
      data: signer.authenticateUser(user.socketId, { id: '51' }),
    })
    await user.next((f) => f.event === 'pusher:signin_success')
    // As pusher-js does after a sign-in
    user.send({ event: 'pusher:subscribe', data: { channel: '#server-to-user-51' } })
    await user.next(
      (f) =>
        f.event === 'pusher_internal:subscription_succeeded' && f.channel === '#server-to-user-51'
    )

    const driver = await worker({ host: HOST, port: port() })
    cleanup(() => driver.close())
    await driver.toUser(51, 'Notice', { text: 'from a worker' })
    const notice = await user.next((f) => f.event === 'Notice')
    assert.deepEqual(notice.data, { text: 'from a worker' })

    await driver.terminateUserConnections(51)
    assert.equal(await user.closed(), 4009)
  })

  test('without publishTo, they fail with E_BROADCAST_SERVER_NOT_RUNNING', async ({
    assert,
    cleanup,
  }) => {
    const driver = await worker()
    cleanup(() => driver.close())
    await assert.rejects(() => driver.toUser(51, 'Notice', {}), E_BROADCAST_SERVER_NOT_RUNNING)
    await assert.rejects(() => driver.terminateUserConnections(51), E_BROADCAST_SERVER_NOT_RUNNING)
  })
})
