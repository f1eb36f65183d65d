import { randomUUID } from 'node:crypto'
import { test } from '@japa/runner'
import PusherModule from 'pusher-js'
import { Redis } from 'ioredis'
import { LocalDriver } from '../../../src/drivers/local.ts'
import { PusherDriver } from '../../../src/drivers/pusher.ts'
import { createRedisAdapter } from '../../../packages/engine/src/cluster/redis_adapter.ts'
import type { ClusterFactory } from '../../../packages/engine/src/cluster/cluster.ts'
import { startRedisServer, type RedisTestServer } from '../../helpers/redis_server.ts'
import { WebSocket } from 'ws'
import { RawClient, connected, once, sleep } from '../../helpers/server_clients.ts'
import { encryptingSdk, newMasterKey, openSealed, wireTap } from '../../helpers/encrypted_wire.ts'

// pusher-js ships ESM-style typings for a CommonJS module; its Node build decrypts
const Pusher = PusherModule as unknown as typeof import('pusher-js').default

const APP = { appId: 'enc', key: 'enc-key', secret: 'enc-secret' }
const CHANNEL = 'private-encrypted-notes'
const PLAINTEXT = 'the launch code is 0000'

/**
 * A serving local driver on a free port, holding a master key
 */
async function servingDriver(masterKey: string, extra: Partial<LocalDriver['credentials']> = {}) {
  const driver = new LocalDriver({ ...APP, encryptionMasterKeyBase64: masterKey, ...extra })
  const { port } = await driver.listen(0, '127.0.0.1')
  return { driver, port, sdk: encryptingSdk(APP, masterKey, port) }
}

/**
 * The unmodified pusher-js, authorized as the auth route answers: the
 * signature and the channel's "shared_secret", both from the SDK
 */
async function pusherJs(port: number, sdk: ReturnType<typeof encryptingSdk>) {
  const client = new Pusher(APP.key, {
    cluster: '',
    wsHost: '127.0.0.1',
    wsPort: port,
    forceTLS: false,
    enabledTransports: ['ws'],
    channelAuthorization: {
      customHandler: ({ socketId, channelName }: any, callback: any) =>
        callback(null, sdk.authorizeChannel(socketId, channelName)),
    } as any,
  })
  await connected(client)
  const channel = client.subscribe(CHANNEL)
  await once(channel, 'pusher:subscription_succeeded')
  return { client, channel }
}

/**
 * The frame of "event" as the raw subscriber received it, and its data
 */
function frameOf(wire: string[], event: string) {
  const raw = wire.find((text) => JSON.parse(text).event === event)!
  return { raw, data: JSON.parse(JSON.parse(raw).data) }
}

test.group('Encrypted channels | the local driver encrypts in the app', () => {
  test('an event sent in process: pusher-js decrypts it, the wire carries only ciphertext', async ({
    assert,
    cleanup,
  }) => {
    const { driver, port, sdk } = await servingDriver(newMasterKey())
    cleanup(() => driver.close())
    const { client, channel } = await pusherJs(port, sdk)
    cleanup(() => client.disconnect())
    const tap = await wireTap(port, APP.key, CHANNEL, sdk)
    cleanup(() => tap.client.ws.terminate())

    const received = once(channel, 'Note')
    await driver.send([{ channels: [CHANNEL], event: 'Note', data: JSON.stringify({ PLAINTEXT }) }])
    assert.deepEqual(await received, { PLAINTEXT })

    await tap.client.next((frame) => frame.event === 'Note')
    const { raw, data } = frameOf(tap.wire, 'Note')
    assert.notInclude(raw, PLAINTEXT)
    assert.notInclude(raw, 'PLAINTEXT')
    assert.sameMembers(Object.keys(data), ['nonce', 'ciphertext'])
    assert.lengthOf(Buffer.from(data.nonce, 'base64'), 24)
    // The scheme is the SDK's: its key for the channel opens it
    const key = Buffer.from(
      sdk.authorizeChannel(tap.client.socketId, CHANNEL).shared_secret!,
      'base64'
    )
    assert.equal(openSealed(data, key), JSON.stringify({ PLAINTEXT }))
  })

  test('each event gets its own nonce', async ({ assert, cleanup }) => {
    const { driver, port, sdk } = await servingDriver(newMasterKey())
    cleanup(() => driver.close())
    const tap = await wireTap(port, APP.key, CHANNEL, sdk)
    cleanup(() => tap.client.ws.terminate())

    const message = { channels: [CHANNEL], event: 'Note', data: '{"same":true}' }
    await driver.send([message, message])
    await tap.client.next((frame) => frame.event === 'Note' && tap.client.of('Note').length === 2)
    const [first, second] = tap.client.of('Note')
    assert.notEqual(first.data.nonce, second.data.nonce)
    assert.notEqual(first.data.ciphertext, second.data.ciphertext)
  })

  test('the official SDK triggers through the HTTP API: the server relays, pusher-js decrypts', async ({
    assert,
    cleanup,
  }) => {
    const { driver, port, sdk } = await servingDriver(newMasterKey())
    cleanup(() => driver.close())
    const { client, channel } = await pusherJs(port, sdk)
    cleanup(() => client.disconnect())
    const tap = await wireTap(port, APP.key, CHANNEL, sdk)
    cleanup(() => tap.client.ws.terminate())

    const received = once(channel, 'Note')
    await sdk.trigger(CHANNEL, 'Note', { text: PLAINTEXT })
    assert.deepEqual(await received, { text: PLAINTEXT })
    await tap.client.next((frame) => frame.event === 'Note')
    assert.notInclude(frameOf(tap.wire, 'Note').raw, PLAINTEXT)
  })

  test('the pusher driver encrypts JSON and raw string data alike: pusher-js gets them back', async ({
    assert,
    cleanup,
  }) => {
    const masterKey = newMasterKey()
    const { driver, port, sdk } = await servingDriver(masterKey)
    cleanup(() => driver.close())
    const { client, channel } = await pusherJs(port, sdk)
    cleanup(() => client.disconnect())
    const pusher = new PusherDriver({
      ...APP,
      host: '127.0.0.1',
      port,
      useTLS: false,
      encryptionMasterKeyBase64: masterKey,
    })

    const received: unknown[] = []
    channel.bind('Note', (data: unknown) => received.push(data))
    await pusher.send([
      { channels: [CHANNEL], event: 'Note', data: JSON.stringify({ text: PLAINTEXT }) },
      { channels: [CHANNEL], event: 'Note', data: PLAINTEXT },
    ])
    while (received.length < 2) await sleep(10)
    assert.deepEqual(received, [{ text: PLAINTEXT }, PLAINTEXT])
  })

  test('a process that does not serve publishes through the app ("publishTo"), encrypted', async ({
    assert,
    cleanup,
  }) => {
    const masterKey = newMasterKey()
    const { driver, port, sdk } = await servingDriver(masterKey)
    cleanup(() => driver.close())
    const { client, channel } = await pusherJs(port, sdk)
    cleanup(() => client.disconnect())
    const tap = await wireTap(port, APP.key, CHANNEL, sdk)
    cleanup(() => tap.client.ws.terminate())
    const worker = new LocalDriver({
      ...APP,
      encryptionMasterKeyBase64: masterKey,
      publishTo: { host: '127.0.0.1', port },
    })
    cleanup(() => worker.close())

    const received = once(channel, 'Note')
    await worker.send([{ channels: [CHANNEL], event: 'Note', data: JSON.stringify({ PLAINTEXT }) }])
    assert.deepEqual(await received, { PLAINTEXT })
    await tap.client.next((frame) => frame.event === 'Note')
    assert.notInclude(frameOf(tap.wire, 'Note').raw, PLAINTEXT)
  })

  test('an event on encrypted and other channels: each encrypted one sealed with its key, the others in the clear', async ({
    assert,
    cleanup,
  }) => {
    const { driver, port, sdk } = await servingDriver(newMasterKey())
    cleanup(() => driver.close())
    const other = 'private-encrypted-other'
    const [tap, otherTap] = [
      await wireTap(port, APP.key, CHANNEL, sdk),
      await wireTap(port, APP.key, other, sdk),
    ]
    const news = await RawClient.open(new WebSocket(`ws://127.0.0.1:${port}/app/${APP.key}`))
    cleanup(() => {
      for (const client of [tap.client, otherTap.client, news]) client.ws.terminate()
    })
    news.send({ event: 'pusher:subscribe', data: { channel: 'news' } })
    await news.next((frame) => frame.event === 'pusher_internal:subscription_succeeded')

    const data = JSON.stringify({ text: PLAINTEXT })
    await driver.send([{ channels: [CHANNEL, 'news', other], event: 'Note', data }])
    assert.deepEqual((await news.next((frame) => frame.event === 'Note')).data, { text: PLAINTEXT })
    for (const [channel, { client, wire }] of [
      [CHANNEL, tap],
      [other, otherTap],
    ] as const) {
      const frame = await client.next((f) => f.event === 'Note')
      assert.notInclude(frameOf(wire, 'Note').raw, PLAINTEXT)
      // The SDK's key for each channel opens it
      const key = sdk.authorizeChannel(client.socketId, channel).shared_secret!
      assert.equal(openSealed(frame.data, Buffer.from(key, 'base64')), data)
    }
  })

  test('refused before anything is sent without a master key', async ({ assert, cleanup }) => {
    const sdk = encryptingSdk(APP, newMasterKey(), 0)
    const keyless = new LocalDriver({ ...APP })
    const keylessPort = (await keyless.listen(0, '127.0.0.1')).port
    cleanup(() => keyless.close())
    const keylessTap = await wireTap(keylessPort, APP.key, CHANNEL, sdk)
    cleanup(() => keylessTap.client.ws.terminate())
    await assert.rejects(
      () => keyless.send([{ channels: [CHANNEL], event: 'Note', data: '{"a":1}' }]),
      /the connection has no "encryptionMasterKeyBase64"/
    )

    await sleep(100)
    assert.lengthOf(keylessTap.client.of('Note'), 0)
  })

  test('the encrypted size counts against the event limit', async ({ assert, cleanup }) => {
    const { driver, port, sdk } = await servingDriver(newMasterKey())
    cleanup(() => driver.close())
    const tap = await wireTap(port, APP.key, CHANNEL, sdk)
    cleanup(() => tap.client.ws.terminate())
    const limit = driver.server.limits.maxEventBytes

    // Under the limit as plaintext, over it once encrypted and base64-encoded
    const data = JSON.stringify({ text: 'x'.repeat(limit - 100) })
    await assert.rejects(
      () => driver.send([{ channels: [CHANNEL], event: 'Big', data }]),
      new RegExp(`Cannot broadcast "Big": its payload is \\d+ bytes, over the ${limit} bytes limit`)
    )
    await sleep(100)
    assert.lengthOf(tap.client.of('Big'), 0)
  })

  test('a client event on an encrypted channel is refused, even where client events are on', async ({
    assert,
    cleanup,
  }) => {
    const masterKey = newMasterKey()
    const driver = new LocalDriver({
      ...APP,
      encryptionMasterKeyBase64: masterKey,
      clientEventsAllowed: () => true,
    })
    const { port } = await driver.listen(0, '127.0.0.1')
    cleanup(() => driver.close())
    const sdk = encryptingSdk(APP, masterKey, port)
    const sender = await wireTap(port, APP.key, CHANNEL, sdk)
    const other = await wireTap(port, APP.key, CHANNEL, sdk)
    cleanup(() => [sender, other].forEach((tap) => tap.client.ws.terminate()))

    sender.client.send({ event: 'client-typing', channel: CHANNEL, data: { at: 1 } })
    const error = await sender.client.next((frame) => frame.event === 'pusher:error')
    assert.equal(error.data.message, 'Client events are not supported on encrypted channels')
    await sleep(100)
    assert.lengthOf(other.client.of('client-typing'), 0)
    // The socket stays open
    assert.isUndefined(sender.client.closeCode)
  })

  test('a master key that is not 32 bytes fails when the driver is made', ({ assert }) => {
    assert.throws(
      () =>
        new LocalDriver({ ...APP, encryptionMasterKeyBase64: Buffer.alloc(16).toString('base64') }),
      /must be 32 bytes in base64, not 16/
    )
  })
})

test.group('Encrypted channels | a process that does not serve, over Redis', (group) => {
  let redis: RedisTestServer
  group.setup(async () => {
    redis = await startRedisServer()
    return () => redis.stop()
  })

  test('a queue worker or an ace command encrypts before the bus', async ({ assert, cleanup }) => {
    const masterKey = newMasterKey()
    const connection = new Redis(redis.url, { lazyConnect: true })
    cleanup(() => connection.disconnect())
    const prefix = `test-${randomUUID()}:`
    const cluster: ClusterFactory = Object.assign(
      (nodeId: string) => createRedisAdapter(connection, { nodeId, prefix }),
      { shared: true }
    )
    const { driver, port, sdk } = await servingDriver(masterKey, { cluster } as any)
    cleanup(() => driver.close())
    const worker = new LocalDriver({ ...APP, encryptionMasterKeyBase64: masterKey, cluster })
    cleanup(() => worker.close())
    const { client, channel } = await pusherJs(port, sdk)
    cleanup(() => client.disconnect())
    const tap = await wireTap(port, APP.key, CHANNEL, sdk)
    cleanup(() => tap.client.ws.terminate())

    const received = once(channel, 'Note')
    await worker.send([{ channels: [CHANNEL], event: 'Note', data: JSON.stringify({ PLAINTEXT }) }])
    assert.deepEqual(await received, { PLAINTEXT })
    await tap.client.next((frame) => frame.event === 'Note')
    assert.notInclude(frameOf(tap.wire, 'Note').raw, PLAINTEXT)
  })
})
