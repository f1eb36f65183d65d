import { test } from '@japa/runner'
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
    // Writes reaching the server's TCP socket (the stream's implementer hooks)
    const [socket] = server.sockets
    const tcp = (socket.ws as unknown as { _socket: Record<string, (...a: any[]) => any> })._socket
    let writes = 0
    for (const hook of ['_write', '_writev']) {
      const original = tcp[hook]
      tcp[hook] = function (this: unknown, ...args: any[]) {
        writes++
        return original.apply(this, args)
      }
    }

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
    assert.isBelow(writes, 20)
  })
})
