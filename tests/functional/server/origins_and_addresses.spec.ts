import { test } from '@japa/runner'
import { WebSocket } from 'ws'
import { defineConfig } from '../../../src/define_config.ts'
import { drivers } from '../../../src/connections.ts'
import { RawClient } from '../../helpers/server_clients.ts'
import { createManager } from '../../helpers/broadcast.ts'

/**
 * A local connection from "config/broadcast.ts" options, on its own port
 */
async function serve(options: Partial<Parameters<typeof drivers.local>[0]>) {
  const local = drivers.local({
    appId: 'edge',
    key: 'edge-key',
    secret: 'edge-secret',
    ...options,
  })
  const manager = await createManager(defineConfig({ default: 'local', connections: { local } }))
  const driver = manager.driver('local')
  const { port } = await driver.listen(0, '127.0.0.1')
  const connect = (origin?: string) =>
    RawClient.open(new WebSocket(`ws://127.0.0.1:${port}/app/edge-key`, { origin }))
  return { driver, connect }
}

test.group('Embedded server | allowed origins and connections per address', () => {
  test('allowedOrigins: listed origins connect, others are closed with 4009', async ({
    assert,
    cleanup,
  }) => {
    const { driver, connect } = await serve({
      allowedOrigins: ['https://app.example.com', '*.example.org'],
    })
    cleanup(() => driver.close())

    for (const origin of ['https://app.example.com', 'http://chat.example.org:8080', undefined]) {
      const client = await connect(origin)
      assert.equal(client.frames[0].event, 'pusher:connection_established', String(origin))
    }
    for (const origin of ['https://evil.example', 'https://example.org', 'null']) {
      const client = await connect(origin)
      assert.deepEqual(client.frames[0].data, {
        code: 4009,
        message: `Origin not allowed: "${origin}"`,
      })
      assert.equal(await client.closed(), 4009)
    }
    assert.equal(driver.server.sockets.size, 3)
  })

  test('by default any origin connects', async ({ assert, cleanup }) => {
    const { driver, connect } = await serve({})
    cleanup(() => driver.close())
    const client = await connect('https://anywhere.example')
    assert.equal(client.frames[0].event, 'pusher:connection_established')
  })

  test('maxConnectionsPerIp: one address over the cap gets 4100; a closed socket frees a slot', async ({
    assert,
    cleanup,
  }) => {
    const { driver, connect } = await serve({ limits: { maxConnectionsPerIp: 2 } })
    cleanup(() => driver.close())

    const first = await connect()
    await connect()
    const refused = await connect()
    assert.equal(refused.frames[0].data.code, 4100)
    assert.include(refused.frames[0].data.message, '2 connections from one address')
    assert.equal(await refused.closed(), 4100)

    first.ws.close()
    await first.closed()
    await new Promise((resolve) => setTimeout(resolve, 50))
    const again = await connect()
    assert.equal(again.frames[0].event, 'pusher:connection_established')
  })
})
