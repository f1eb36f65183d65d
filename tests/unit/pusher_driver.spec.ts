import { test } from '@japa/runner'
import { pusherSetup } from '../helpers/broadcast.ts'
import { BroadcastEvent } from '../../src/emitting/broadcast_event.ts'
import { Channel, PrivateChannel, PresenceChannel } from '../../src/emitting/channels.ts'
import { BroadcastFailedException } from '../../src/errors.ts'

class UserAdded extends BroadcastEvent {
  constructor(public user: { id: number; name: string }) {
    super()
  }
  broadcastOn() {
    return [new Channel('users'), new PrivateChannel(`${this.user.id}`)]
  }
}

class Renamed extends UserAdded {
  broadcastAs() {
    return 'user.renamed'
  }
  broadcastWith() {
    return { id: this.user.id }
  }
}

class Conditional extends BroadcastEvent {
  constructor(public send: boolean) {
    super()
  }
  broadcastOn() {
    return new Channel('conditional')
  }
  broadcastWhen() {
    return this.send
  }
}

class Ping extends BroadcastEvent {
  constructor(
    public n: number,
    protected channel = 'pings'
  ) {
    super()
  }
  broadcastOn() {
    return new Channel(this.channel)
  }
  broadcastWith() {
    return { n: this.n }
  }
}

test.group('Pusher driver | signed requests', (group) => {
  let setup: Awaited<ReturnType<typeof pusherSetup>>
  group.each.setup(async () => {
    setup = await pusherSetup()
    return () => setup.server.close()
  })

  test('an event goes out under its class name with its own fields', async ({ assert }) => {
    await setup.manager.emit(new UserAdded({ id: 7, name: 'Ada' }))

    assert.lengthOf(setup.server.rejected, 0)
    assert.lengthOf(setup.server.requests, 1)
    const { path, body } = setup.server.requests[0]
    assert.equal(path, '/apps/42/events')
    assert.equal(body.name, 'UserAdded')
    assert.deepEqual(body.channels, ['users', 'private-7'])
    assert.deepEqual(JSON.parse(body.data), { user: { id: 7, name: 'Ada' } })
  })

  test('broadcastAs and broadcastWith set the name and payload', async ({ assert }) => {
    await setup.manager.emit(new Renamed({ id: 3, name: 'secret name' }))

    const { body } = setup.server.requests[0]
    assert.equal(body.name, 'user.renamed')
    assert.deepEqual(JSON.parse(body.data), { id: 3 })
  })

  test('broadcastWhen returning false sends nothing', async ({ assert }) => {
    await setup.manager.emit(new Conditional(false))
    assert.lengthOf(setup.server.requests, 0)

    await setup.manager.emit(new Conditional(true))
    assert.lengthOf(setup.server.requests, 1)
  })

  test('an AdonisJS-style class that only implements broadcastOn works', async ({ assert }) => {
    class OrderShipped {
      constructor(public orderId: number) {}
      broadcastOn() {
        return 'orders'
      }
    }
    await setup.manager.emit(new OrderShipped(9))
    const { body } = setup.server.requests[0]
    assert.equal(body.name, 'OrderShipped')
    assert.deepEqual(JSON.parse(body.data), { orderId: 9 })
  })

  test('broadcast.channel sends to several channels in one request', async ({ assert }) => {
    await setup.manager.channel(['releases', 'news'], 'NewRelease', { version: '2.0' })
    const { body } = setup.server.requests[0]
    assert.deepEqual(body.channels, ['releases', 'news'])
    assert.equal(body.name, 'NewRelease')
    assert.deepEqual(JSON.parse(body.data), { version: '2.0' })
  })

  test('250 channels are sent as 3 requests of at most 100', async ({ assert }) => {
    const names = Array.from({ length: 250 }, (_, i) => `room-${i}`)
    await setup.manager.channel(names, 'Tick', { at: 1 })

    assert.lengthOf(setup.server.requests, 3)
    const sizes = setup.server.requests.map((request) => request.body.channels.length)
    assert.deepEqual(sizes, [100, 100, 50])
    assert.deepEqual(
      setup.server.requests.flatMap((request) => request.body.channels),
      names
    )
  })

  test('25 events are batched as 3 requests of at most 10', async ({ assert }) => {
    await setup.manager.emit(Array.from({ length: 25 }, (_, i) => new Ping(i)))

    assert.lengthOf(setup.server.requests, 3)
    assert.isTrue(
      setup.server.requests.every((request) => request.path === '/apps/42/batch_events')
    )
    assert.deepEqual(
      setup.server.requests.map((request) => request.body.batch.length),
      [10, 10, 5]
    )
    const sent = setup.server.requests.flatMap((request) =>
      request.body.batch.map((item: any) => JSON.parse(item.data).n)
    )
    assert.deepEqual(
      sent,
      Array.from({ length: 25 }, (_, i) => i)
    )
  })

  test('an oversize payload is refused before anything is sent', async ({ assert }) => {
    const big = new Ping(1)
    big.broadcastWith = () => ({ blob: 'x'.repeat(11_000) }) as any

    await assert.rejects(
      () => setup.manager.emit(big),
      /Cannot broadcast "Ping": its payload is 11011 bytes, over the 10240 bytes limit/
    )
    assert.lengthOf(setup.server.requests, 0)
  })

  test('an invalid channel name is refused with the name', async ({ assert }) => {
    await assert.rejects(
      () => setup.manager.channel('bad channel!', 'X', {}),
      /Invalid channel name "bad channel!"/
    )
    assert.throws(() => new Channel('x'.repeat(201)), /the limit is 200/)
    assert.lengthOf(setup.server.requests, 0)
  })

  test('channel prefixes are added once', ({ assert }) => {
    assert.equal(new PrivateChannel('admins').name, 'private-admins')
    assert.equal(new PrivateChannel('private-admins').name, 'private-admins')
    assert.equal(new PresenceChannel('presence-chat.1').name, 'presence-chat.1')
    assert.equal(new PresenceChannel('chat.1').name, 'presence-chat.1')
  })

  test('a 503 is retried, then the send succeeds', async ({ assert }) => {
    setup.server.respondWith(503)
    await setup.manager.channel('releases', 'NewRelease', { version: '1' })

    assert.lengthOf(setup.server.requests, 2)
    assert.deepEqual(setup.server.requests[0].body, setup.server.requests[1].body)
  })

  test('a 4xx is not retried and rejects with a typed error', async ({ assert }) => {
    setup.server.respondWith(400)
    try {
      await setup.manager.channel('releases', 'NewRelease', {})
      assert.fail('expected a rejection')
    } catch (error) {
      assert.instanceOf(error, BroadcastFailedException)
      assert.equal((error as BroadcastFailedException).responseStatus, 400)
      assert.deepEqual((error as BroadcastFailedException).channels, ['releases'])
    }
    assert.lengthOf(setup.server.requests, 1)
  })

  test('retries are bounded', async ({ assert }) => {
    setup.server.respondWith(500, 500, 500, 500)
    await assert.rejects(() => setup.manager.channel('releases', 'X', {}), /answered 500/)
    assert.lengthOf(setup.server.requests, 3)
  })

  test('toOthers sends the socket id to exclude', async ({ assert }) => {
    await setup.manager.toOthers('123.456').channel('releases', 'NewRelease', {})
    assert.equal(setup.server.requests[0].body.socket_id, '123.456')
    assert.throws(() => setup.manager.toOthers('abc'), /Invalid socket id "abc"/)
  })
})

test.group('Pusher driver | failure policy', () => {
  test('"report" logs the failure and resolves', async ({ assert, cleanup }) => {
    const setup = await pusherSetup({ onFailure: 'report' })
    cleanup(() => setup.server.close())
    setup.server.respondWith(403)

    await setup.manager.channel('releases', 'NewRelease', {})

    const errors = setup.logs.filter((entry) => entry.level === 'error')
    assert.lengthOf(errors, 1)
    assert.equal((errors[0].args[0] as any).status, 403)
    assert.equal(errors[0].args[1], 'broadcast failed')
  })

  test('a wrong secret fails the signature check', async ({ assert, cleanup }) => {
    const setup = await pusherSetup({ secret: 'not-the-secret' })
    cleanup(() => setup.server.close())

    await assert.rejects(() => setup.manager.channel('releases', 'X', {}), /answered 401/)
    assert.equal(setup.server.rejected[0].reason, 'invalid signature')
  })

  test('a network failure is retried and then reported as a typed error', async ({
    assert,
    cleanup,
  }) => {
    const setup = await pusherSetup()
    await setup.server.close()
    cleanup(() => {})
    const error = await setup.manager.channel('releases', 'X', {}).catch((e) => e)
    assert.instanceOf(error, BroadcastFailedException)
    assert.isUndefined(error.responseStatus)
    assert.match(error.message, /Broadcast failed: Request failed with an error/)
  })
})
