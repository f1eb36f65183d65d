import { createServer } from 'node:http'
import { test } from '@japa/runner'
import PusherSdk from 'pusher'
import { WebSocket } from 'ws'
import { EmbeddedServer } from '../../../packages/engine/src/embedded_server.ts'
import { encodeFrame } from '../../../packages/engine/src/protocol.ts'
import { RawClient, sleep } from '../../helpers/server_clients.ts'

test.group('Embedded server | coalesced writes', () => {
  test('frames written in one turn leave together and keep their order, whichever path wrote them', async ({
    assert,
    cleanup,
  }) => {
    const server = new EmbeddedServer({ appId: 'co', key: 'co-key', secret: 'co-secret' })
    const { port } = await server.listen(0, '127.0.0.1')
    cleanup(() => server.close())
    const client = await RawClient.open(new WebSocket(`ws://127.0.0.1:${port}/app/co-key`))
    cleanup(() => client.ws.terminate())
    for (const channel of ['a', 'b']) {
      client.send({ event: 'pusher:subscribe', data: { channel } })
      await client.next((f) => f.channel === channel && f.event.endsWith('subscription_succeeded'))
    }
    const [socket] = server.sockets
    const written = countWrites(socket.ws)

    // One turn: broadcasts (one encoded frame for all) between direct sends,
    // on two channels, large and small, past the early-flush bound
    const expected: string[] = []
    for (let i = 0; i < 300; i++) {
      const channel = i % 2 ? 'a' : 'b'
      const body = JSON.stringify({ i, pad: 'x'.repeat(i % 7 === 0 ? 2000 : 20) })
      server.publish([channel], 'Numbered', body)
      expected.push(`${channel}:${i}`)
      if (i % 10 === 0) {
        socket.send(encodeFrame('Direct', JSON.stringify({ i })))
        expected.push(`direct:${i}`)
      }
    }
    const deadline = Date.now() + 5000
    while (client.of('Numbered').length + client.of('Direct').length < expected.length) {
      if (Date.now() > deadline) break
      await sleep(10)
    }
    const received = client.frames
      .filter((f) => f.event === 'Numbered' || f.event === 'Direct')
      .map((f) => (f.event === 'Direct' ? `direct:${f.data.i}` : `${f.channel}:${f.data.i}`))
    assert.deepEqual(received, expected)
    // 330 frames, about 100 KB: a write per 16 KB held, not one per frame
    assert.isBelow(written.count, 20)
  })

  test('limits.coalesceMs holds frames across turns: a steady stream leaves in one write', async ({
    assert,
    cleanup,
  }) => {
    for (const [coalesceMs, expected] of [
      [0, 5],
      [500, 1],
    ]) {
      const server = new EmbeddedServer({
        appId: 'co',
        key: 'co-key',
        secret: 'co-secret',
        limits: { coalesceMs },
      })
      const { port } = await server.listen(0, '127.0.0.1')
      cleanup(() => server.close())
      const client = await RawClient.open(new WebSocket(`ws://127.0.0.1:${port}/app/co-key`))
      cleanup(() => client.ws.terminate())
      client.send({ event: 'pusher:subscribe', data: { channel: 'a' } })
      await client.next((f) => f.event.endsWith('subscription_succeeded'))
      const written = countWrites([...server.sockets][0].ws)

      // Five events, each in a turn of its own
      for (let i = 0; i < 5; i++) {
        server.publish(['a'], 'Numbered', JSON.stringify({ i }))
        await new Promise(setImmediate)
      }
      await client.next((f) => f.event === 'Numbered' && f.data.i === 4, 5000)
      assert.deepEqual(
        client.of('Numbered').map((f) => f.data.i),
        [0, 1, 2, 3, 4]
      )
      assert.equal(written.count, expected, `writes with coalesceMs ${coalesceMs}`)
    }
  })

  test('the HTTP API answers a publish once its frames are written; with a window, at once', async ({
    assert,
    cleanup,
  }) => {
    for (const [coalesceMs, expected] of [
      [0, ['written', 'answered']],
      [500, ['answered', 'written']],
    ] as const) {
      const app = { appId: 'co', key: 'co-key', secret: 'co-secret' }
      const server = new EmbeddedServer({ ...app, limits: { coalesceMs } })
      const http = createServer()
      server.attach(http)
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
      cleanup(() => server.close())
      cleanup(() => new Promise<void>((resolve) => http.close(() => resolve())))
      const { port } = http.address() as { port: number }
      const client = await RawClient.open(new WebSocket(`ws://127.0.0.1:${port}/app/co-key`))
      cleanup(() => client.ws.terminate())
      client.send({ event: 'pusher:subscribe', data: { channel: 'a' } })
      await client.next((f) => f.event.endsWith('subscription_succeeded'))

      // In this process: when the frame reaches the subscriber's TCP
      // stream, and when the answer's bytes are handed to the API's
      const order: string[] = []
      const [socket] = server.sockets
      countWrites(socket.ws, () => order.includes('written') || order.push('written'))
      http.on('request', (_req, res) => res.on('finish', () => order.push('answered')))
      const sdk = new PusherSdk({ ...app, host: '127.0.0.1', port: String(port), useTLS: false })
      const publish = sdk.trigger('a', 'Numbered', { i: 1 })
      await client.next((f) => f.event === 'Numbered', 5000)
      await publish
      assert.deepEqual(order, expected, `coalesceMs ${coalesceMs}`)
    }
  })
})

/**
 * Counts the writes reaching a server socket's TCP stream (the stream's
 * implementer hooks), telling "onWrite" of each
 */
function countWrites(ws: WebSocket, onWrite = () => {}) {
  const tcp = (ws as unknown as { _socket: Record<string, (...a: any[]) => any> })._socket
  const written = { count: 0 }
  for (const hook of ['_write', '_writev']) {
    const original = tcp[hook]
    tcp[hook] = function (this: unknown, ...args: any[]) {
      written.count++
      onWrite()
      return original.apply(this, args)
    }
  }
  return written
}
