import { test } from '@japa/runner'
import { WebSocket } from 'ws'
import { defineConfig } from '../../../src/define_config.ts'
import { drivers } from '../../../src/connections.ts'
import { HOST, localDriver, port as appPort, RawClient } from '../../helpers/server_clients.ts'
import proxyaddr from 'proxy-addr'
import { createManager } from '../../helpers/broadcast.ts'
import { appClientAddress } from '../../../src/drivers/client_address.ts'

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
  return { driver, connect, port }
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

/**
 * A local connection in an app whose "http.trustProxy" is given, with one
 * connection per address
 */
async function behindProxy(trustProxy: string) {
  const trust = proxyaddr.compile(trustProxy)
  const app = {
    config: { get: (key: string) => (key === 'app.http.trustProxy' ? trust : undefined) },
  }
  const { driver, port } = await serve({
    limits: { maxConnectionsPerIp: 1 },
    clientAddress: appClientAddress(app as any),
  })
  const connect = (forwardedFor?: string) =>
    RawClient.open(
      new WebSocket(`ws://127.0.0.1:${port}/app/edge-key`, {
        headers: forwardedFor === undefined ? {} : { 'X-Forwarded-For': forwardedFor },
      })
    )
  return { driver, connect }
}

const established = (client: RawClient) =>
  client.frames[0]?.event === 'pusher:connection_established'

test.group("Embedded server | the client's address follows the app's trustProxy", () => {
  test('from a trusted proxy, the forwarded address is counted', async ({ assert, cleanup }) => {
    // The test connects from 127.0.0.1: "loopback" trusts it as a proxy
    const { driver, connect } = await behindProxy('loopback')
    cleanup(() => driver.close())

    assert.isTrue(established(await connect('10.0.0.1')))
    assert.isTrue(established(await connect('10.0.0.2')))
    assert.isTrue(established(await connect('203.0.113.9, 10.0.0.3')))
    const again = await connect('10.0.0.1')
    assert.equal(again.frames[0].data.code, 4100)
  })

  test('an untrusted peer cannot choose its address', async ({ assert, cleanup }) => {
    // Only a proxy at 10.9.9.9 is trusted: the test's own headers mean nothing
    const { driver, connect } = await behindProxy('10.9.9.9')
    cleanup(() => driver.close())

    assert.isTrue(established(await connect('10.0.0.1')))
    const second = await connect('10.0.0.2')
    assert.equal(second.frames[0].data.code, 4100)
    assert.include(second.frames[0].data.message, '1 connections from one address')
  })

  test('hostile X-Forwarded-For values neither crash nor escape the cap', async ({
    assert,
    cleanup,
  }) => {
    const { driver, connect } = await behindProxy('loopback')
    cleanup(() => driver.close())
    const hostile = [
      'not-an-address',
      '',
      ',,,',
      '999.999.999.999',
      '::ffff:10.0.0.7',
      'a'.repeat(4000),
      Array.from({ length: 1000 }, (_, i) => `10.1.${(i >> 8) & 255}.${i & 255}`).join(', '),
      '\t10.0.0.8\t',
      '[::1]:80',
    ]
    const clients = []
    for (const value of hostile) {
      const client = await connect(value)
      clients.push(client)
      assert.isTrue(
        established(client) || client.frames[0]?.data?.code === 4100,
        `answered for ${JSON.stringify(value.slice(0, 40))}`
      )
    }
    // Unparsable forwarded values fall back to the proxy's own address: one slot for them all
    const addresses = [...driver.server.sockets].map((socket) => socket.address)
    assert.isTrue(addresses.every((address) => address.length <= 64))
    assert.equal(new Set(addresses).size, addresses.length)
    // The mapped IPv6 form of an address counts as the address itself
    assert.include(addresses, '10.0.0.7')
    assert.isTrue(established(await connect('10.0.0.9')))
  })
})

test.group("Embedded server | the example app's own trustProxy", () => {
  test('a client forwarded by a proxy on this machine is known by its own address', async ({
    assert,
    cleanup,
  }) => {
    // AdonisJS trusts "loopback" by default, and the test connects from 127.0.0.1
    const driver = await localDriver()
    const client = await RawClient.open(
      new WebSocket(`ws://${HOST}:${appPort()}/app/${driver.credentials.key}`, {
        headers: { 'X-Forwarded-For': '198.51.100.7' },
      })
    )
    cleanup(() => client.ws.close())
    const socketId = client.frames[0].data.socket_id
    const socket = [...driver.server.sockets].find((known) => known.id === socketId)
    assert.equal(socket?.address, '198.51.100.7')
  })
})
