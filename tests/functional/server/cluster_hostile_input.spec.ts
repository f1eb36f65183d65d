import { test } from '@japa/runner'
import { Redis } from 'ioredis'
import { WebSocket } from 'ws'
import type { IncomingMessage } from 'node:http'
import { APP, type Node } from '../../helpers/test_cluster.ts'
import { startRedisServer, type RedisTestServer } from '../../helpers/redis_server.ts'
import { HOST, RawClient, sleep, within } from '../../helpers/server_clients.ts'
import { redisNodes } from '../../helpers/redis_nodes.ts'
import { RedisKeys } from '../../../packages/engine/src/state/redis_keys.ts'

/**
 * What clients send becomes Redis keys and fields once the limits count
 * on every node: channel names, user ids, client addresses. Each is
 * bounded before it reaches Redis, and what they leave in Redis goes with
 * their sockets (or, for a client-event window, within its second).
 */
test.group('Embedded server | what clients leave in Redis', (group) => {
  let server: RedisTestServer
  group.setup(async () => {
    server = await startRedisServer()
    return () => server.stop()
  })

  test('bounded keys and fields while they are connected, nothing of theirs once they are gone', async ({
    assert,
    cleanup,
  }) => {
    const { cluster, prefix } = await redisNodes(server.url, 2, {
      limits: { maxConnectionsPerIp: 5 },
      clientEventsAllowed: () => true,
      clientAddress: (req: IncomingMessage) => req.headers['x-test-address'] as string,
    })
    const redis = new Redis(server.url)
    const sockets: WebSocket[] = []
    cleanup(async () => {
      for (const ws of sockets) ws.terminate()
      redis.disconnect()
      await cluster.close()
    })
    const [a, b] = cluster.nodes

    const connect = async (node: Node, address: string) => {
      const ws = new WebSocket(`ws://${HOST}:${node.port}/app/${APP.key}?protocol=7`, {
        headers: { 'x-test-address': address },
      })
      sockets.push(ws)
      return RawClient.open(ws)
    }
    const answer = (client: RawClient, channel: string) =>
      client.next(
        (f) =>
          (f.channel === channel &&
            (f.event === 'pusher_internal:subscription_succeeded' ||
              f.event === 'pusher:subscription_error')) ||
          (f.event === 'pusher:error' && f.data?.message?.startsWith('Invalid subscription')),
        5000
      )
    const subscribe = (node: Node, client: RawClient, channel: string, userId?: string) => {
      const auth = channel.startsWith('presence-')
        ? node.sdk.authorizeChannel(client.socketId, channel, { user_id: userId! })
        : channel.startsWith('private-')
          ? node.sdk.authorizeChannel(client.socketId, channel)
          : {}
      client.send({ event: 'pusher:subscribe', data: { channel, ...auth } })
      return answer(client, channel)
    }

    const longId = 'u'.repeat(128)
    const oddId = 'a}{:\n\u0000{b}'
    const userIds = [longId, oddId, ...Array.from({ length: 10 }, () => 'same')]
    const presence = 'presence-hostile'
    let admitted = 0
    let refusedByAddress = 0
    let refusedSockets = 0
    // Six sockets from each of eight addresses, spread over both nodes
    for (let ip = 0; ip < 8; ip++) {
      for (let n = 0; n < 6; n++) {
        const node = n % 2 === 0 ? a : b
        const client = await connect(node, `203.0.113.${ip}`)
        if (!client.socketId) {
          refusedByAddress++
          continue
        }
        admitted++
        // A public channel of the longest name, one per socket
        const name = `${ip}-${n}-`.padEnd(200, 'x')
        const publicAnswer = await subscribe(node, client, name)
        assert.equal(publicAnswer.event, 'pusher_internal:subscription_succeeded')
        // A presence member, "same" past its 10 sockets
        const userId = userIds[(ip * 6 + n) % userIds.length]
        const joined = await subscribe(node, client, presence, userId)
        if (joined.event !== 'pusher_internal:subscription_succeeded') {
          refusedSockets++
          continue
        }
        for (let i = 0; i < 3; i++) {
          client.send({ event: 'client-hi', channel: presence, data: { i } })
        }
      }
    }
    assert.equal(admitted, 40)
    assert.equal(refusedByAddress, 8)
    assert.isAbove(refusedSockets, 0)

    // Over the bounds: refused before anything reaches Redis
    const probe = await connect(a, '203.0.113.200')
    const tooLongId = await subscribe(a, probe, 'presence-probe', 'v'.repeat(129))
    assert.equal(tooLongId.event, 'pusher:subscription_error')
    assert.equal(tooLongId.data.status, 400)
    const tooLongName = await subscribe(a, probe, 'y'.repeat(201))
    assert.equal(tooLongName.event, 'pusher:error')
    const longAddress = await connect(a, '2001:db8::'.padEnd(100, '1'))
    assert.isString(longAddress.socketId)
    await sleep(100)

    const keys = (await redis.keys(`${prefix}*`)).map((key) => key.slice(prefix.length))
    // The longest: a client-event window of a 128-character id in a 200-character channel
    const bound = '{b255}::events:'.length + 200 + 128
    assert.isAtMost(Math.max(...keys.map((key) => key.length)), bound)
    const stateKeys = new RedisKeys(prefix)
    assert.isTrue(keys.includes(stateKeys.clientEvents(presence, longId).slice(prefix.length)))
    assert.isTrue(keys.includes(stateKeys.clientEvents(presence, oddId).slice(prefix.length)))
    assert.notInclude(keys.join('\n'), 'vvv')
    assert.notInclude(keys.join('\n'), 'yyy')
    assert.notInclude(keys.join('\n'), '2001:db8')
    // Users are counted by their id, at most 128 characters
    const users = await redis.hgetall(stateKeys.channel(presence)[2])
    assert.equal(users.same, '10')
    assert.isAtMost(Math.max(...Object.keys(users).map((id) => id.length)), 128)
    // One field per node per address, each at most the limit
    for (const key of keys.filter((k) => k.startsWith('{ip:'))) {
      const counts = Object.values(await redis.hgetall(prefix + key)).map(Number)
      assert.isAtMost(counts.length, 2)
      assert.isAtMost(
        counts.reduce((sum, count) => sum + count, 0),
        5
      )
    }

    // All gone: only the nodes' own registration stays
    for (const ws of sockets) ws.close()
    const nodeKeys = [a, b].map((node) => `node:{${node.server.nodeId}}`).concat('nodes')
    await within(
      (async () => {
        for (;;) {
          const left = (await redis.keys(`${prefix}*`)).map((key) => key.slice(prefix.length))
          if (left.every((key) => nodeKeys.includes(key))) return
          await sleep(100)
        }
      })(),
      'the keys to go',
      8000
    ).catch(async (error) => {
      const left = (await redis.keys(`${prefix}*`)).map((key) => key.slice(prefix.length))
      throw new Error(`${error.message}: ${left.filter((key) => !nodeKeys.includes(key))}`)
    })
  }).timeout(30_000)
})
