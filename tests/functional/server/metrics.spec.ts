import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import { WebSocket } from 'ws'
import User from '#models/user'
import {
  broadcastService,
  Clients,
  connected,
  HOST,
  once,
  port as appPort,
  sdk,
  sdkAuthorizer,
  sleep,
} from '../../helpers/server_clients.ts'
import { sample } from '../../helpers/metrics_text.ts'
import { EmbeddedServer } from '../../../packages/engine/src/embedded_server.ts'
import { BroadcastMetrics } from '../../../src/metrics/broadcast_metrics.ts'
import { RawClient } from '../../helpers/server_clients.ts'
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { LocalDriver } from '../../../src/drivers/local.ts'
import { EventsHub } from '../../../src/events_hub.ts'
import { createRedisAdapter } from '../../../packages/engine/src/cluster/redis_adapter.ts'
import { loadPromClient, registerPrometheus } from '../../../src/metrics/prometheus.ts'
import { startRedisServer, type RedisTestServer } from '../../helpers/redis_server.ts'
import { docsNginxExample, startNginx, type NginxTestServer } from '../../helpers/nginx.ts'
import { defineConfig } from '../../../src/define_config.ts'
import { drivers } from '../../../src/connections.ts'
import { resolveConfig } from '../../helpers/broadcast.ts'

async function scrape(client: ApiClient) {
  const response = await client.get('/metrics')
  response.assertStatus(200)
  return response.text()
}

/**
 * Waits until the metric reads "expected" (frames and closes are handled
 * asynchronously)
 */
async function reads(
  client: ApiClient,
  name: string,
  labels: Record<string, string>,
  expected: number
) {
  let value: number | undefined
  for (let i = 0; i < 40; i++) {
    value = sample(await scrape(client), name, labels)
    if (value === expected) return value
    await sleep(25)
  }
  return value
}

test.group('Metrics | Prometheus text after real clients', (group) => {
  const clients = new Clients()
  group.each.teardown(() => clients.closeAll())

  test('connections, subscriptions and channels follow clients; events count once per recipient', async ({
    client,
    assert,
  }) => {
    const before = await scrape(client)
    const connections = sample(before, 'broadcast_connections') ?? 0
    const subscriptions = sample(before, 'broadcast_subscriptions') ?? 0
    const sent = sample(before, 'broadcast_messages_sent_total') ?? 0
    const bytes = sample(before, 'broadcast_bytes_sent_total') ?? 0
    const received = sample(before, 'broadcast_messages_received_total') ?? 0
    const apiOk =
      sample(before, 'broadcast_http_api_requests_total', { endpoint: 'events', status: '200' }) ??
      0

    const first = await clients.pusher()
    const second = await clients.pusher()
    await connected(first)
    await connected(second)
    await once(first.subscribe('metrics-news'), 'pusher:subscription_succeeded')
    const news = second.subscribe('metrics-news')
    await once(news, 'pusher:subscription_succeeded')
    await once(second.subscribe('private-metrics'), 'pusher:subscription_succeeded')

    assert.equal(await reads(client, 'broadcast_connections', {}, connections + 2), connections + 2)
    assert.equal(
      await reads(client, 'broadcast_subscriptions', {}, subscriptions + 3),
      subscriptions + 3
    )
    const during = await scrape(client)
    assert.isAtLeast(sample(during, 'broadcast_channels', { type: 'public' })!, 1)
    assert.isAtLeast(sample(during, 'broadcast_channels', { type: 'private' })!, 1)
    // Three subscribe frames at least (pusher-js may also ping)
    assert.isAtLeast(sample(during, 'broadcast_messages_received_total')! - received, 3)

    const heard = once(news, 'MetricsTick')
    const data = { n: 1 }
    await (await sdk()).trigger('metrics-news', 'MetricsTick', data)
    await heard

    const after = await scrape(client)
    const frame = JSON.stringify({
      event: 'MetricsTick',
      data: JSON.stringify(data),
      channel: 'metrics-news',
    })
    assert.equal(sample(after, 'broadcast_messages_sent_total')! - sent, 2)
    assert.equal(sample(after, 'broadcast_bytes_sent_total')! - bytes, 2 * Buffer.byteLength(frame))
    assert.equal(
      sample(after, 'broadcast_http_api_requests_total', { endpoint: 'events', status: '200' })! -
        apiOk,
      1
    )

    await clients.closeAll()
    assert.equal(await reads(client, 'broadcast_connections', {}, connections), connections)
  })

  test('authorization decisions count by outcome and deciding pattern', async ({
    client,
    assert,
  }) => {
    const admin = await User.findByOrFail('email', 'admin@example.com')
    const basic = await User.findByOrFail('email', 'basic@example.com')
    const authorize = (channel: string, user?: User) => {
      const request = client
        .post('/broadcasting/authorize')
        .form({ socket_id: '1234.5678', channel_name: channel })
        .withCsrfToken()
      return user ? request.loginAs(user) : request
    }
    const count = (text: string, outcome: string, pattern: string) =>
      sample(text, 'broadcast_authorizations_total', { outcome, pattern }) ?? 0

    const before = await scrape(client)
    ;(await authorize('private-admins', basic)).assertStatus(403)
    ;(await authorize('private-admins', basic)).assertStatus(403)
    ;(await authorize('private-admins', admin)).assertStatus(200)
    ;(await authorize('private-nobody-wrote-a-rule.x')).assertStatus(403)
    const after = await scrape(client)

    assert.equal(
      count(after, 'denied', 'private-admins') - count(before, 'denied', 'private-admins'),
      2
    )
    assert.equal(
      count(after, 'allowed', 'private-admins') - count(before, 'allowed', 'private-admins'),
      1
    )
    assert.equal(count(after, 'denied', '(none)') - count(before, 'denied', '(none)'), 1)
  })

  test('client events count as relayed, refused and rate-limited; API refusals by status', async ({
    client,
    assert,
  }) => {
    const outcome = (text: string, name: string) =>
      sample(text, 'broadcast_client_events_total', { outcome: name }) ?? 0
    const before = await scrape(client)

    // The example app's policy enables client events on presence-chat.<id> only
    const sender = await clients.pusher({ authorizer: await sdkAuthorizer({ user_id: 'm1' }) })
    const receiver = await clients.pusher({ authorizer: await sdkAuthorizer({ user_id: 'm2' }) })
    const out = sender.subscribe('presence-chat.77')
    await once(out, 'pusher:subscription_succeeded')
    const into = receiver.subscribe('presence-chat.77')
    await once(into, 'pusher:subscription_succeeded')
    const locked = sender.subscribe('private-metrics-locked')
    await once(locked, 'pusher:subscription_succeeded')

    const heard = once(into, 'client-wave')
    out.trigger('client-wave', { hi: true })
    await heard
    locked.trigger('client-wave', {})
    // Past the per-second limit (10 by default)
    for (let i = 0; i < 15; i++) out.trigger('client-burst', { i })

    await sleep(200)
    const after = await scrape(client)
    assert.isAtLeast(outcome(after, 'relayed') - outcome(before, 'relayed'), 2)
    assert.equal(outcome(after, 'refused') - outcome(before, 'refused'), 1)
    assert.isAtLeast(outcome(after, 'rate_limited') - outcome(before, 'rate_limited'), 1)

    const unauthorized = (text: string) =>
      sample(text, 'broadcast_http_api_requests_total', { endpoint: 'events', status: '401' }) ?? 0
    await (await sdk({ secret: 'wrong' })).trigger('metrics-news', 'X', {}).catch(() => {})
    assert.equal(unauthorized(await scrape(client)) - unauthorized(after), 1)
  })

  test('the route answers only whom "metrics.shouldExpose" admits', async ({ client, cleanup }) => {
    const broadcast = await broadcastService()
    const guard = broadcast.config.metrics.shouldExpose
    cleanup(() => void (broadcast.config.metrics.shouldExpose = guard))

    broadcast.config.metrics.shouldExpose = () => false
    ;(await client.get('/metrics')).assertStatus(403)
    broadcast.config.metrics.shouldExpose = () => {
      throw new Error('a guard that throws refuses')
    }
    ;(await client.get('/metrics')).assertStatus(403)
  })
})

test.group('Metrics | behind the nginx of docs/scaling.md', (group) => {
  let nginx: NginxTestServer
  group.setup(async () => {
    nginx = await startNginx((listen) => docsNginxExample(appPort(), listen))
    return () => nginx.stop()
  })

  const direct = (headers: Record<string, string> = {}) =>
    fetch(`http://${HOST}:${appPort()}/metrics`, { headers })

  test("the example app's /metrics answers this machine, and refuses it through the proxy", async ({
    assert,
  }) => {
    assert.equal((await direct()).status, 200)
    // The test is on this machine too: only the hop tells it from the internet
    const proxied = await fetch(`${nginx.url}/metrics`)
    assert.equal(proxied.status, 403)
    assert.equal(await proxied.text(), 'Forbidden')
  })

  test('the default guard refuses a request through a proxy, or claiming to be', async ({
    assert,
    cleanup,
  }) => {
    const broadcast = await broadcastService()
    const guard = broadcast.config.metrics.shouldExpose
    cleanup(() => void (broadcast.config.metrics.shouldExpose = guard))
    const defaults = await resolveConfig(
      defineConfig({ default: 'null', connections: { null: drivers.null() }, metrics: {} })
    )
    broadcast.config.metrics.shouldExpose = defaults.metrics.shouldExpose

    assert.equal((await direct()).status, 200)
    assert.equal((await fetch(`${nginx.url}/metrics`)).status, 403)
    const claims: Array<Record<string, string>> = [
      { 'X-Forwarded-For': '127.0.0.1' },
      { 'X-Real-IP': '127.0.0.1' },
      { Forwarded: 'for=127.0.0.1' },
      { 'X-Forwarded-Host': 'metrics.example.com' },
      { 'X-Forwarded-Proto': 'https' },
      { Via: '1.1 proxy' },
    ]
    for (const headers of claims) {
      assert.equal((await direct(headers)).status, 403, JSON.stringify(headers))
    }
  })

  test('WebSocket clients still connect through the proxy', async ({ assert }) => {
    const { key } = (await broadcastService()).driver('local').credentials!
    const socket = await RawClient.open(new WebSocket(`ws://127.0.0.1:${nginx.port}/app/${key}`))
    assert.equal(socket.frames[0].event, 'pusher:connection_established')
    socket.ws.close()
  })
})

test.group('Metrics | hooks of the embedded server', () => {
  test('a slow consumer closed with 4100 is counted', async ({ assert, cleanup }) => {
    const metrics = new BroadcastMetrics()
    const server = new EmbeddedServer({
      appId: 'slow',
      key: 'slow-key',
      secret: 'slow-secret',
      limits: { maxBufferedBytes: 64 * 1024 },
    })
    metrics.listen(server.events)
    const { port } = await server.listen(0, '127.0.0.1')
    cleanup(() => server.close())
    const slow = await RawClient.open(new WebSocket(`ws://127.0.0.1:${port}/app/slow-key`))
    cleanup(() => slow.ws.terminate())
    slow.send({ event: 'pusher:subscribe', data: { channel: 'ticks' } })
    await slow.next((frame) => frame.event === 'pusher_internal:subscription_succeeded')
    ;(slow.ws as unknown as { _socket: { pause(): void } })._socket.pause()

    const payload = JSON.stringify({ blob: 'x'.repeat(8 * 1024) })
    for (let i = 0; i < 800 && metrics.slowConsumerDrops === 0; i++) {
      server.publish(['ticks'], 'Tick', payload)
      if (i % 50 === 0) await sleep(5)
    }
    assert.equal(metrics.slowConsumerDrops, 1)
    assert.isAbove(metrics.messagesSent, 0)
  })
})

/**
 * A node on the test's Redis whose metrics count what it does, closed
 * with the test
 */
async function meteredRedisNode(
  redis: RedisTestServer,
  cleanup: (fn: () => Promise<void>) => void
) {
  const metrics = new BroadcastMetrics()
  const registry = registerPrometheus(await loadPromClient(), metrics, { prefix: 'broadcast_' })
  const connection = new Redis(redis.url, { lazyConnect: true })
  const prefix = `metrics-${randomUUID()}:`
  const events = new EventsHub()
  metrics.listen(events)
  const driver = new LocalDriver({
    appId: 'm',
    key: 'm-key',
    secret: 'm-secret',
    events,
    cluster: Object.assign((nodeId: string) => createRedisAdapter(connection, { nodeId, prefix }), {
      shared: true,
    }),
  })
  cleanup(async () => {
    await driver.close()
    connection.disconnect()
  })
  return { metrics, registry, driver }
}

test.group('Metrics | the Redis bus', (group) => {
  let redis: RedisTestServer
  group.setup(async () => {
    redis = await startRedisServer()
    return () => redis.stop()
  })

  test('publish latency is a histogram; reconnects after a Redis restart are counted', async ({
    assert,
    cleanup,
  }) => {
    const { metrics, registry, driver } = await meteredRedisNode(redis, cleanup)
    await driver.listen(0, '127.0.0.1')

    await driver.server.publish(['metrics-bus'], 'Tick', '{}')
    await driver.server.publish(['metrics-bus'], 'Tick', '{}')
    let text = await registry.metrics()
    const node = driver.server.nodeId!
    assert.equal(sample(text, 'broadcast_bus_publish_seconds_count', { node }), 2)
    assert.isAbove(sample(text, 'broadcast_bus_publish_seconds_sum', { node })!, 0)
    assert.equal(sample(text, 'broadcast_bus_reconnects_total', { node }), 0)

    await redis.restart()
    for (let i = 0; i < 80 && metrics.busReconnects === 0; i++) await sleep(50)
    text = await registry.metrics()
    assert.isAtLeast(sample(text, 'broadcast_bus_reconnects_total', { node })!, 1)
  })
})

test.group('Metrics | what the Redis bus brings', (group) => {
  let redis: RedisTestServer
  group.setup(async () => {
    redis = await startRedisServer()
    return () => redis.stop()
  })

  test('messages read off the bus are counted, only those of the channels the node serves', async ({
    assert,
    cleanup,
  }) => {
    const { metrics, registry, driver } = await meteredRedisNode(redis, cleanup)
    const { port } = await driver.listen(0, '127.0.0.1')
    const client = await RawClient.open(new WebSocket(`ws://127.0.0.1:${port}/app/m-key`))
    cleanup(() => client.ws.terminate())
    client.send({ event: 'pusher:subscribe', data: { channel: 'served' } })
    await client.next((frame) => frame.event === 'pusher_internal:subscription_succeeded')

    // Its own messages come back from Redis on the channels it holds
    await driver.server.publish(['nobody'], 'Tick', '{}')
    await driver.server.publish(['served'], 'Tick', '{}')
    await driver.server.publish(['served'], 'Tick', '{}')
    for (let i = 0; i < 40 && metrics.busMessagesReceived < 2; i++) await sleep(25)
    const text = await registry.metrics()
    const node = driver.server.nodeId!
    assert.equal(sample(text, 'broadcast_bus_messages_received_total', { node }), 2)
    assert.isAbove(sample(text, 'broadcast_bus_bytes_received_total', { node })!, 100)
  })
})
