import { test } from '@japa/runner'
import { WebSocket } from 'ws'
import { createServer } from 'node:net'
import { LocalDriver } from '../../../src/drivers/local.ts'
import { RawClient } from '../../helpers/server_clients.ts'
import type { ServerLimits } from '../../../packages/engine/src/limits.ts'

/**
 * A local driver on a port of its own, as "node ace broadcast:serve" runs it
 */
async function standalone(limits: Partial<ServerLimits> = {}) {
  const driver = new LocalDriver({ appId: 'solo', key: 'solo-key', secret: 'solo-secret', limits })
  const { port } = await driver.listen(0, '127.0.0.1')
  const connect = () => RawClient.open(new WebSocket(`ws://127.0.0.1:${port}/app/solo-key`))
  return { driver, port, connect }
}

function portIsFree(port: number) {
  return new Promise<boolean>((resolve) => {
    const probe = createServer()
    probe.once('error', () => resolve(false))
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)))
  })
}

test.group('Embedded server | lifecycle', () => {
  test('close() sends 4200 to every socket and releases the port', async ({ assert }) => {
    const { driver, port, connect } = await standalone()
    const first = await connect()
    const second = await connect()

    await driver.close()
    assert.equal(await first.closed(), 4200)
    assert.equal(await second.closed(), 4200)
    assert.equal(first.of('pusher:error')[0].data.code, 4200)
    assert.isTrue(await portIsFree(port))
  })

  test('an idle socket is pinged, then closed with 4201 when it does not answer', async ({
    assert,
    cleanup,
  }) => {
    const { driver, connect } = await standalone({ activityTimeout: 1, pongTimeout: 1 })
    cleanup(() => driver.close())
    const idle = await connect()
    const lively = await connect()
    lively.ws.on('message', (raw) => {
      if (raw.toString().includes('pusher:ping')) lively.send({ event: 'pusher:pong', data: {} })
    })

    assert.equal(await idle.closed(4000), 4201)
    assert.lengthOf(idle.of('pusher:ping'), 1)
    assert.isUndefined(lively.closeCode)
  }).timeout(6000)

  test('over maxConnections a socket is refused with 4100 (retry later)', async ({
    assert,
    cleanup,
  }) => {
    const { driver, connect } = await standalone({ maxConnections: 1 })
    cleanup(() => driver.close())
    await connect()
    const refused = await connect()
    assert.equal(refused.frames[0].data.code, 4100)
    assert.equal(await refused.closed(), 4100)
  })

  test('other paths are not upgraded', async ({ assert, cleanup }) => {
    const { driver, port } = await standalone()
    cleanup(() => driver.close())
    const ws = new WebSocket(`ws://127.0.0.1:${port}/elsewhere`)
    const outcome = await new Promise((resolve) => {
      ws.once('open', () => resolve('open'))
      ws.once('error', () => resolve('refused'))
    })
    assert.equal(outcome, 'refused')
  })
})
