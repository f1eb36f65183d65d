import { test } from '@japa/runner'
import PusherSdk from 'pusher'
import { WebSocket } from 'ws'
import env from '#start/env'
import { redisAnswers } from '../../bin/demo_redis.ts'
import { startDemoNodes } from '../helpers/demo_process.ts'
import { RawClient } from '../helpers/server_clients.ts'

test.group('Demo | npm run demo -- --nodes=2', () => {
  test('two nodes over a redis-server of its own: an event sent to one reaches the other', async ({
    assert,
    cleanup,
  }) => {
    const demo = await startDemoNodes()
    cleanup(() => demo.stop())
    const [first, second] = demo.urls.map((url) => new URL(url))
    assert.notEqual(first.port, second.port)

    const key = env.get('PUSHER_APP_KEY')
    const client = await RawClient.open(new WebSocket(`ws://127.0.0.1:${second.port}/app/${key}`))
    cleanup(() => client.ws.terminate())
    client.send({ event: 'pusher:subscribe', data: { channel: 'releases' } })
    await client.next((f) => f.event === 'pusher_internal:subscription_succeeded')

    const sdk = new PusherSdk({
      appId: env.get('PUSHER_APP_ID'),
      key,
      secret: env.get('PUSHER_APP_SECRET').release(),
      host: '127.0.0.1',
      port: first.port,
    })
    await sdk.trigger('releases', 'NewRelease', { version: '2.0' })
    const frame = await client.next((f) => f.event === 'NewRelease', 5000)
    assert.deepEqual(frame.data, { version: '2.0' })

    // Stopped: the nodes and the redis-server it started are gone
    await demo.stop()
    assert.isFalse(await redisAnswers('127.0.0.1', demo.redisPort))
    for (const url of demo.urls) {
      assert.isFalse(
        await fetch(url).then(
          () => true,
          () => false
        )
      )
    }
  }).timeout(120_000)
})
