import { test } from '@japa/runner'
import { WebSocket } from 'ws'
import { EmbeddedServer } from '../../../packages/engine/src/embedded_server.ts'
import { RawClient, sleep } from '../../helpers/server_clients.ts'

test.group('Embedded server | slow consumer', () => {
  test('a socket that stops reading is closed with 4100; the others keep receiving', async ({
    assert,
    cleanup,
  }) => {
    const server = new EmbeddedServer({
      appId: 'slow',
      key: 'slow-key',
      secret: 'slow-secret',
      limits: { maxBufferedBytes: 64 * 1024 },
    })
    const { port } = await server.listen(0, '127.0.0.1')
    cleanup(() => server.close())

    const open = async () => {
      const client = await RawClient.open(new WebSocket(`ws://127.0.0.1:${port}/app/slow-key`))
      client.send({ event: 'pusher:subscribe', data: { channel: 'ticks' } })
      await client.next((frame) => frame.event === 'pusher_internal:subscription_succeeded')
      return client
    }
    const fast = await open()
    const slow = await open()
    cleanup(() => {
      fast.ws.close()
      slow.ws.terminate()
    })

    /**
     * The slow client stops reading: the kernel buffers fill, then the
     * server's send buffer for that socket grows past the bound
     */
    ;(slow.ws as unknown as { _socket: { pause(): void } })._socket.pause()
    const payload = JSON.stringify({ blob: 'x'.repeat(8 * 1024) })
    const count = 800
    for (let i = 0; i < count; i++) {
      server.publish(['ticks'], 'Tick', payload)
      if (i % 50 === 0) await sleep(5)
    }

    const deadline = Date.now() + 5000
    while (fast.frames.filter((f) => f.event === 'Tick').length < count && Date.now() < deadline) {
      await sleep(20)
    }
    assert.equal(fast.frames.filter((f) => f.event === 'Tick').length, count)

    /**
     * It got a retryable close (4100) it could not read: within the grace
     * period the server drops it, freeing its buffer
     */
    while (server.sockets.size > 1 && Date.now() < deadline + 3000) await sleep(50)
    assert.equal(server.sockets.size, 1, 'the slow socket is dropped server side')

    fast.send({ event: 'pusher:ping', data: {} })
    await fast.next((frame) => frame.event === 'pusher:pong')
    assert.isUndefined(fast.closeCode)
  }).timeout(20_000)
})
