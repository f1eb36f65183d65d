import { test } from '@japa/runner'
import { createServer } from 'node:net'
import { collectUncaught } from '../../helpers/uncaught.ts'
import type { LifecycleEvent } from '@adonisjs-broadcasting/engine'
import { eventually, pusherSdk, WebhookReceiver } from '../../helpers/webhook_receiver.ts'
import {
  WebhookSender,
  type WebhookSenderOptions,
} from '../../../packages/engine/src/webhooks/webhook_sender.ts'

/**
 * Remembers what the sender logs
 */
function recordingLogger() {
  const lines: Array<{ level: 'warn' | 'error'; details: any; message: string }> = []
  return {
    lines,
    of: (level: 'warn' | 'error', text: string) =>
      lines.filter((line) => line.level === level && line.message.includes(text)),
    warn: (details: object, message: string) => lines.push({ level: 'warn', details, message }),
    error: (details: object, message: string) => lines.push({ level: 'error', details, message }),
  }
}

async function receiver(cleanup: (fn: () => Promise<void>) => void) {
  const started = await new WebhookReceiver().start()
  cleanup(() => started.close())
  return started
}

function sender(
  cleanup: (fn: () => Promise<void>) => void,
  options: Partial<WebhookSenderOptions> & Pick<WebhookSenderOptions, 'targets'>
) {
  const created = new WebhookSender({
    key: WebhookReceiver.KEY,
    secret: WebhookReceiver.SECRET,
    retryBase: 20,
    ...options,
  })
  cleanup(() => created.close())
  return created
}

const occupied = (index: number): LifecycleEvent => ({
  name: 'channel_occupied',
  channel: `private-room-${index}`,
})

/**
 * A port nobody listens on: connections are refused
 */
async function closedPort() {
  const probe = createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => probe.once('listening', resolve))
  const { port } = probe.address() as { port: number }
  await new Promise((resolve) => probe.close(resolve))
  return port
}

test.group('Webhooks | sender', () => {
  test('a batch is signed as Pusher signs it: the official SDK accepts it', async ({
    assert,
    cleanup,
  }) => {
    const target = await receiver(cleanup)
    const webhooks = sender(cleanup, { targets: [{ url: target.url }] })
    const events: LifecycleEvent[] = [
      { name: 'channel_occupied', channel: 'presence-room' },
      { name: 'member_added', channel: 'presence-room', user_id: '7' },
      {
        name: 'client_event',
        channel: 'presence-room',
        event: 'client-typing',
        data: '{"on":true}',
        socket_id: '1.2',
        user_id: '7',
      },
      { name: 'subscription_count', channel: 'presence-room', subscription_count: 2 },
      { name: 'cache_miss', channel: 'cache-news' },
      { name: 'member_removed', channel: 'presence-room', user_id: '7' },
      { name: 'channel_vacated', channel: 'presence-room' },
    ]

    const before = Date.now()
    for (const event of events) webhooks.push(event)
    // The sender counts an event sent once it has read the answer
    await eventually(() => webhooks.stats().sent === events.length, 'the events')

    assert.lengthOf(target.received, 1)
    const [webhook] = target.received
    assert.isTrue(webhook.valid)
    assert.deepEqual(webhook.events, events)
    assert.equal(webhook.headers['content-type'], 'application/json')
    assert.equal(webhook.headers['x-pusher-key'], WebhookReceiver.KEY)
    assert.isAtLeast(webhook.time!.getTime(), before)
    assert.isAtMost(webhook.time!.getTime(), Date.now())
    assert.deepEqual(webhooks.stats(), {
      queued: 0,
      sent: events.length,
      failed: 0,
      dropped: 0,
      droppedByEvent: {},
    })
  })

  test('requests hold at most maxBatch events, one at a time, in order', async ({
    assert,
    cleanup,
  }) => {
    const target = await receiver(cleanup)
    const webhooks = sender(cleanup, { targets: [{ url: target.url }], maxBatch: 100 })
    const events = Array.from({ length: 250 }, (_, index) => occupied(index))

    for (const event of events) webhooks.push(event)
    await eventually(() => target.delivered().length === events.length, 'the events')

    assert.deepEqual(
      target.received.map((webhook) => webhook.events.length),
      [100, 100, 50]
    )
    assert.isTrue(target.received.every((webhook) => webhook.valid))
    assert.deepEqual(target.delivered(), events)
  })

  test('a batch answered 500 is sent again, unchanged, until accepted', async ({
    assert,
    cleanup,
  }) => {
    const target = await receiver(cleanup)
    target.respondWith(500, 500)
    const logger = recordingLogger()
    const webhooks = sender(cleanup, { targets: [{ url: target.url }], logger })
    const events = [occupied(1), occupied(2), occupied(3)]

    for (const event of events) webhooks.push(event)
    await eventually(() => webhooks.stats().sent === 3, 'an accepted request')

    assert.deepEqual(
      target.received.map((webhook) => webhook.status),
      [500, 500, 200]
    )
    assert.isTrue(target.received.every((webhook) => webhook.valid))
    assert.isTrue(
      target.received.every((webhook) => webhook.rawBody === target.received[0].rawBody)
    )
    assert.deepEqual(target.delivered(), events)
    assert.deepEqual(webhooks.stats(), {
      queued: 0,
      sent: 3,
      failed: 0,
      dropped: 0,
      droppedByEvent: {},
    })
    assert.lengthOf(logger.of('warn', 'retrying'), 1)
    assert.equal(logger.of('warn', 'retrying')[0].details.reason, 'status 500')
  })

  test('each target gets only the events its "events" or "filter" accept', async ({
    assert,
    cleanup,
  }) => {
    const target = await receiver(cleanup)
    const logger = recordingLogger()
    const webhooks = sender(cleanup, {
      logger,
      targets: [
        { url: `${target.url}/members`, events: ['member_added'] },
        { url: `${target.url}/presence`, filter: (event) => event.channel.startsWith('presence-') },
        {
          url: `${target.url}/broken`,
          filter: () => {
            throw new Error('filter bug')
          },
        },
        { url: `${target.url}/all` },
      ],
    })
    const events: LifecycleEvent[] = [
      { name: 'channel_occupied', channel: 'presence-a' },
      { name: 'member_added', channel: 'presence-a', user_id: '1' },
      { name: 'channel_occupied', channel: 'private-b' },
      { name: 'member_added', channel: 'presence-a', user_id: '2' },
      { name: 'channel_vacated', channel: 'private-b' },
    ]

    for (const event of events) webhooks.push(event)
    await eventually(() => webhooks.stats().sent === 2 + 3 + 5, 'every accepted event')

    assert.deepEqual(target.delivered('/members'), [events[1], events[3]])
    assert.deepEqual(target.delivered('/presence'), [events[0], events[1], events[3]])
    assert.deepEqual(target.delivered('/all'), events)
    assert.deepEqual(target.delivered('/broken'), [])
    assert.deepEqual(
      webhooks.targetStats().map(({ url, sent }) => [new URL(url).pathname, sent]),
      [
        ['/members', 2],
        ['/presence', 3],
        ['/broken', 0],
        ['/all', 5],
      ]
    )

    // One line for five throws now, the rest when the sender closes
    const filterLines = () => logger.of('error', 'filter threw')
    assert.lengthOf(filterLines(), 1)
    assert.equal(filterLines()[0].details.err.message, 'filter bug')
    await webhooks.close()
    const reported = filterLines().reduce((sum, line) => sum + line.details.events, 0)
    assert.equal(reported, events.length)
  })

  test('churned channels cancel out in a backed-up queue and push no real event out', async ({
    assert,
    cleanup,
  }) => {
    const target = await receiver(cleanup)
    const webhooks = sender(cleanup, { targets: [{ url: target.url }], maxQueued: 5 })

    target.hold()
    webhooks.push(occupied(0))
    await eventually(() => target.received.length === 1, 'the first request')
    const member: LifecycleEvent = { name: 'member_added', channel: 'presence-team', user_id: '7' }
    webhooks.push(member)
    // A guest churning through 1,000 public channels while the target stalls
    for (let i = 0; i < 1000; i++) {
      webhooks.push({ name: 'channel_occupied', channel: `churn-${i}` })
      webhooks.push({ name: 'channel_vacated', channel: `churn-${i}` })
    }
    // A vacancy of a channel whose occupied event already left is real
    webhooks.push({ name: 'channel_vacated', channel: 'private-room-0' })
    assert.equal(webhooks.stats().queued, 1 + 2)
    assert.equal(webhooks.stats().dropped, 0)

    target.release()
    await eventually(() => webhooks.stats().sent === 3, 'the real events')
    assert.deepEqual(target.delivered(), [
      occupied(0),
      member,
      { name: 'channel_vacated', channel: 'private-room-0' },
    ])
    await webhooks.close()
  })

  test('a full queue drops its oldest events, counts them and logs once', async ({
    assert,
    cleanup,
  }) => {
    const target = await receiver(cleanup)
    const logger = recordingLogger()
    const webhooks = sender(cleanup, { targets: [{ url: target.url }], logger, maxQueued: 5 })

    // The first request stalls: what follows waits in the queue
    target.hold()
    webhooks.push(occupied(0))
    await eventually(() => target.received.length === 1, 'the first request')
    const waiting = Array.from({ length: 20 }, (_, index) => occupied(index + 1))
    for (const event of waiting) webhooks.push(event)

    assert.equal(webhooks.stats().dropped, 15)
    assert.equal(webhooks.stats().queued, 1 + 5)
    assert.lengthOf(logger.of('warn', 'queue full'), 1)

    target.release()
    await eventually(() => webhooks.stats().sent === 6, 'the newest events')
    assert.deepEqual(target.delivered(), [occupied(0), ...waiting.slice(-5)])
    assert.deepEqual(webhooks.stats(), {
      queued: 0,
      sent: 6,
      failed: 0,
      dropped: 15,
      droppedByEvent: { channel_occupied: 15 },
    })

    await webhooks.close()
    const lines = logger.of('warn', 'queue full')
    assert.lengthOf(lines, 2)
    assert.equal(lines[0].details.dropped + lines[1].details.dropped, 15)
  })

  test('a flood of large client events is bounded in bytes too: the oldest go', async ({
    assert,
    cleanup,
  }) => {
    const target = await receiver(cleanup)
    const webhooks = sender(cleanup, {
      targets: [{ url: target.url }],
      logger: recordingLogger(),
      maxQueuedBytes: 64 * 1024,
    })
    target.hold()
    webhooks.push(occupied(0))
    await eventually(() => target.received.length === 1, 'the first request')

    // 100 client events of 10 KB each: about 1 MB, far under maxQueued
    const typed = (index: number) =>
      ({
        name: 'client_event' as const,
        channel: 'private-chat',
        event: 'client-typed',
        data: `${index}:${'x'.repeat(10_000)}`,
        socket_id: '1.1',
      }) satisfies LifecycleEvent
    for (let index = 0; index < 100; index++) webhooks.push(typed(index))
    const { queued, dropped } = webhooks.stats()
    assert.isAtMost(queued, 1 + 7)
    assert.equal(queued - 1 + dropped, 100)

    target.release()
    await eventually(() => webhooks.stats().queued === 0, 'the queue to drain')
    const delivered = target.delivered().slice(1)
    assert.deepEqual(
      delivered.map((event: any) => event.data),
      Array.from({ length: delivered.length }, (_, i) => typed(100 - delivered.length + i).data)
    )
  })

  test('a batch is given up after retryFor, and later events still go', async ({
    assert,
    cleanup,
  }) => {
    const target = await receiver(cleanup)
    target.alwaysRespond(503)
    const logger = recordingLogger()
    const webhooks = sender(cleanup, { targets: [{ url: target.url }], logger, retryFor: 200 })

    webhooks.push(occupied(1))
    await eventually(() => webhooks.stats().failed === 1, 'the batch to be given up')
    assert.isAbove(target.received.length, 1)
    const [givenUp] = logger.of('error', 'did not accept')
    assert.equal(givenUp.details.attempts, target.received.length)
    assert.equal(givenUp.details.reason, 'status 503')

    target.alwaysRespond(undefined)
    webhooks.push(occupied(2))
    await eventually(() => webhooks.stats().sent === 1, 'the next event')
    assert.deepEqual(target.delivered(), [occupied(2)])
    assert.deepEqual(webhooks.stats(), {
      queued: 0,
      sent: 1,
      failed: 1,
      dropped: 0,
      droppedByEvent: {},
    })
  })

  test('signed with another secret, the SDK finds the webhook invalid', async ({
    assert,
    cleanup,
  }) => {
    const target = await receiver(cleanup)
    const webhooks = sender(cleanup, { targets: [{ url: target.url }], secret: 'not-the-secret' })

    webhooks.push(occupied(1))
    await eventually(() => target.received.length === 1, 'the request')

    const [webhook] = target.received
    assert.isFalse(webhook.valid)
    // Only the secret differs: the same request passes with the sender's secret
    const sdk = pusherSdk('not-the-secret')
    assert.isTrue(sdk.webhook({ headers: webhook.headers, rawBody: webhook.rawBody }).isValid())
  })

  test("a target's own secret signs its requests; the others keep the app's", async ({
    assert,
    cleanup,
  }) => {
    const own = await receiver(cleanup)
    const shared = await receiver(cleanup)
    const webhooks = sender(cleanup, {
      secret: 'the-app-secret',
      targets: [{ url: own.url, secret: WebhookReceiver.SECRET }, { url: shared.url }],
    })

    webhooks.push(occupied(1))
    await eventually(() => webhooks.stats().sent === 2, 'both requests')

    // The receiver checks with its own secret, as a third party would
    assert.isTrue(own.received[0].valid)
    assert.deepEqual(own.received[0].events, [occupied(1)])
    const [app] = shared.received
    assert.isFalse(app.valid)
    assert.isTrue(
      pusherSdk('the-app-secret').webhook({ headers: app.headers, rawBody: app.rawBody }).isValid()
    )
    // Same body, another secret: what one receiver got does not verify against the app's secret
    assert.isFalse(
      pusherSdk('the-app-secret')
        .webhook({ headers: own.received[0].headers, rawBody: own.received[0].rawBody })
        .isValid()
    )
  })

  test('close() sends what is queued, and gives up on a stalled target in time', async ({
    assert,
    cleanup,
  }) => {
    const target = await receiver(cleanup)
    const quick = sender(cleanup, { targets: [{ url: `${target.url}/quick` }], batchMs: 60_000 })
    quick.push(occupied(1))
    await quick.close()
    assert.deepEqual(target.delivered('/quick'), [occupied(1)])

    const logger = recordingLogger()
    const stalled = sender(cleanup, {
      targets: [{ url: `${target.url}/stalled` }],
      logger,
      closeTimeout: 200,
    })
    target.hold()
    stalled.push(occupied(2))
    await eventually(() => target.received.length === 2, 'the stalled request')
    stalled.push(occupied(3))

    const started = Date.now()
    await stalled.close()
    assert.isBelow(Date.now() - started, 5000)
    assert.deepEqual(stalled.stats(), {
      queued: 0,
      sent: 0,
      failed: 2,
      dropped: 0,
      droppedByEvent: {},
    })
    assert.lengthOf(logger.of('error', 'not sent before shutdown'), 1)

    stalled.push(occupied(4))
    assert.equal(stalled.stats().queued, 0)
  })

  test('a dead target and a throwing logger never reach the app', async ({ assert, cleanup }) => {
    const uncaught = collectUncaught()
    cleanup(() => uncaught.stop())
    const port = await closedPort()
    const webhooks = sender(cleanup, {
      targets: [{ url: `http://127.0.0.1:${port}/hooks` }],
      retryFor: 100,
      maxQueued: 1,
      logger: {
        warn: () => {
          throw new Error('logger down')
        },
        error: () => {
          throw new Error('logger down')
        },
      },
    })

    assert.doesNotThrow(() => {
      webhooks.push(occupied(1))
      webhooks.push(occupied(2))
      webhooks.push(occupied(3))
    })
    await eventually(() => webhooks.stats().failed > 0, 'the batch to be given up')
    await webhooks.close()
    assert.deepEqual(uncaught.errors, [])
  })

  test('options are checked when the sender is built', ({ assert }) => {
    const build = (options: Partial<WebhookSenderOptions>) => () =>
      new WebhookSender({ key: 'k', secret: 's', targets: [], ...options })

    assert.throws(build({ targets: [{ url: 'not a url' }] }), /Invalid webhook URL/)
    assert.throws(build({ targets: [{ url: 'ftp://example.com' }] }), /http or https/)
    assert.throws(
      build({ targets: [{ url: 'http://example.com', events: ['nope' as any] }] }),
      /Unknown webhook event "nope"/
    )
    assert.throws(build({ maxQueued: 0 }), /"maxQueued" must be a positive integer/)
    assert.throws(build({ secret: '' }), /"key" and "secret"/)
    assert.throws(
      build({ targets: [{ url: 'http://example.com/hooks?token=x', secret: '' }] }),
      'The "secret" of the webhook target "http://example.com/hooks" is empty: remove it to sign with the app\'s secret'
    )
  })
})
