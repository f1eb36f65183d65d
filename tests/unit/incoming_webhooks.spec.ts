import { test } from '@japa/runner'
import Pusher from 'pusher'
import { createHmac } from 'node:crypto'
import type { Route } from '@adonisjs/core/http'
import { HttpContextFactory, RouterFactory } from '@adonisjs/core/factories/http'
import { BroadcastManager } from '../../src/broadcast_manager.ts'
import { defineConfig, type ResolvedBroadcastConfig } from '../../src/define_config.ts'
import { drivers } from '../../src/connections.ts'
import {
  E_INVALID_WEBHOOK,
  E_WEBHOOK_OUTSIDE_WINDOW,
  E_WEBHOOK_TOO_LARGE,
} from '../../src/errors.ts'
import { ReplayGuard } from '../../src/incoming_webhooks/replay_guard.ts'
import type { LifecycleEmitter } from '../../src/lifecycle_events.ts'
import WebhookController from '../../src/incoming_webhooks/webhook_controller.ts'
import { IncomingWebhooks } from '../../src/incoming_webhooks/incoming_webhooks.ts'
import {
  MAX_WEBHOOK_BODY_BYTES,
  verifyWebhook,
} from '../../src/incoming_webhooks/verify_webhook.ts'
import { recordingLogger, resolveConfig } from '../helpers/broadcast.ts'

const CREDENTIALS = { appId: '1', key: 'app-key', secret: 'app-secret' }

function sign(rawBody: string, secret = CREDENTIALS.secret) {
  return createHmac('sha256', secret).update(rawBody).digest('hex')
}

function body(events: unknown[], timeMs = Date.now()) {
  return JSON.stringify({ time_ms: timeMs, events })
}

/**
 * A webhook as Pusher sends it: signed with the secret, its key and
 * content type, with the header names as given (Node lower-cases them)
 */
function webhook(rawBody: string, headers: Record<string, string | undefined> = {}) {
  return {
    rawBody,
    headers: {
      'X-Pusher-Key': CREDENTIALS.key,
      'X-Pusher-Signature': sign(rawBody),
      'Content-Type': 'application/json',
      ...headers,
    },
  }
}

function verify(request: ReturnType<typeof webhook>) {
  return verifyWebhook(request, CREDENTIALS, 'pusher')
}

/**
 * The reason an invalid webhook is refused with
 */
function refusal(request: ReturnType<typeof webhook>) {
  try {
    verify(request)
  } catch (error) {
    return error as InstanceType<typeof E_INVALID_WEBHOOK>
  }
  throw new Error('expected the webhook to be refused')
}

const MEMBER_ADDED = { name: 'member_added', channel: 'presence-room.1', user_id: '42' }

test.group('Incoming webhooks | verifyWebhook', () => {
  test('a webhook signed by the secret gives its lifecycle events in order', ({ assert }) => {
    const raw = body(
      [
        { name: 'channel_occupied', channel: 'presence-room.1' },
        MEMBER_ADDED,
        {
          name: 'client_event',
          channel: 'private-chat',
          event: 'client-typing',
          data: '{"text":"héllo ✓"}',
          socket_id: '123.456',
        },
        { name: 'subscription_count', channel: 'room', subscription_count: 3 },
        { name: 'cache_miss', channel: 'cache-room' },
        { name: 'member_removed', channel: 'presence-room.1', user_id: '42' },
        { name: 'channel_vacated', channel: 'presence-room.1' },
      ],
      1_700_000_000_000
    )
    const verified = verify(webhook(raw))

    assert.equal(verified.timeMs, 1_700_000_000_000)
    assert.equal(verified.signature, sign(raw))
    assert.deepEqual(verified.ignored, [])
    assert.deepEqual(verified.events, [
      { name: 'channel_occupied', channel: 'presence-room.1' },
      MEMBER_ADDED,
      {
        name: 'client_event',
        channel: 'private-chat',
        event: 'client-typing',
        data: '{"text":"héllo ✓"}',
        socket_id: '123.456',
      },
      { name: 'subscription_count', channel: 'room', subscription_count: 3 },
      { name: 'cache_miss', channel: 'cache-room' },
      { name: 'member_removed', channel: 'presence-room.1', user_id: '42' },
      { name: 'channel_vacated', channel: 'presence-room.1' },
    ])
  })

  test('the SDK itself accepts what these tests sign', ({ assert }) => {
    const raw = body([MEMBER_ADDED])
    const sdk = new Pusher({ ...CREDENTIALS, cluster: 'mt1' }).webhook({
      headers: {
        'x-pusher-key': CREDENTIALS.key,
        'x-pusher-signature': sign(raw),
        'content-type': 'application/json',
      },
      rawBody: raw,
    })
    assert.isTrue(sdk.isValid())
    assert.deepEqual(sdk.getEvents(), [MEMBER_ADDED] as any)
  })

  test('events of unknown names are skipped, not refused', ({ assert }) => {
    const verified = verify(
      webhook(body([{ name: 'something_new', channel: 'x' }, MEMBER_ADDED, { name: 'other' }]))
    )
    assert.deepEqual(verified.events, [MEMBER_ADDED])
    assert.deepEqual(verified.ignored, ['something_new', 'other'])
  })

  test('only the declared fields reach listeners; a numeric user_id becomes a string', ({
    assert,
  }) => {
    const verified = verify(
      webhook(
        body([
          { ...MEMBER_ADDED, user_id: 42, extra: 'x' },
          {
            name: 'client_event',
            channel: 'presence-room.1',
            event: 'client-move',
            data: { x: 1 },
            socket_id: '1.2',
            user_id: '7',
          },
        ])
      )
    )
    assert.deepEqual(verified.events, [
      MEMBER_ADDED,
      {
        name: 'client_event',
        channel: 'presence-room.1',
        event: 'client-move',
        data: '{"x":1}',
        socket_id: '1.2',
        user_id: '7',
      },
    ])
  })

  test('a UTF-8 charset on the content type is accepted; the signature still decides', ({
    assert,
  }) => {
    const raw = body([MEMBER_ADDED])
    for (const contentType of [
      'application/json; charset=utf-8',
      'Application/JSON;charset="UTF-8"',
      'application/json; charset=utf8',
    ]) {
      assert.deepEqual(
        verify(webhook(raw, { 'Content-Type': contentType })).events,
        [MEMBER_ADDED],
        contentType
      )
    }
    const forged = refusal(
      webhook(raw, {
        'Content-Type': 'application/json; charset=utf-8',
        'X-Pusher-Signature': sign(raw, 'other'),
      })
    )
    assert.include(forged.message, 'X-Pusher-Signature does not match the body')
  })

  test('each invalid request is a 401 with its reason', ({ assert }) => {
    const raw = body([MEMBER_ADDED])
    const cases: Array<[string, ReturnType<typeof webhook>, string]> = [
      ['no key', webhook(raw, { 'X-Pusher-Key': undefined }), 'no X-Pusher-Key header'],
      [
        'no signature',
        webhook(raw, { 'X-Pusher-Signature': undefined }),
        'no X-Pusher-Signature header',
      ],
      [
        'another key',
        webhook(raw, { 'X-Pusher-Key': 'someone-else' }),
        'X-Pusher-Key "someone-else" is not the key of the "pusher" connection',
      ],
      [
        'another secret',
        webhook(raw, { 'X-Pusher-Signature': sign(raw, 'not-the-secret') }),
        `X-Pusher-Signature does not match the body: check that the "pusher" connection's secret`,
      ],
      [
        'a signature of another body',
        { ...webhook(raw), rawBody: body([{ ...MEMBER_ADDED, user_id: '1' }]) },
        'X-Pusher-Signature does not match the body',
      ],
      [
        'no content type',
        webhook(raw, { 'Content-Type': undefined }),
        'no Content-Type header: Pusher sends "application/json"',
      ],
      [
        'another content type',
        webhook(raw, { 'Content-Type': 'text/plain' }),
        'the Content-Type is "text/plain": Pusher sends "application/json"',
      ],
      [
        'another charset',
        webhook(raw, { 'Content-Type': 'application/json; charset=latin1' }),
        'only UTF-8 JSON is accepted',
      ],
      ['an empty body', webhook(''), 'the body is empty'],
      ['not JSON', webhook('{"time_ms":1,'), 'the body is not JSON'],
      ['JSON null', webhook('null'), 'the body has no "events" array'],
      ['no events', webhook('{"time_ms":1}'), 'the body has no "events" array'],
      ['events not an array', webhook('{"time_ms":1,"events":{}}'), 'no "events" array'],
      ['no time', webhook('{"events":[]}'), 'the body has no numeric "time_ms"'],
      ['an event without a name', webhook(body([{ channel: 'x' }])), 'events[0] is not an object'],
      ['an event that is not an object', webhook(body(['x'])), 'events[0] is not an object'],
      [
        'a member event without user_id',
        webhook(body([{ name: 'member_added', channel: 'presence-x' }])),
        'events[0] ("member_added") has no string "user_id"',
      ],
      [
        'an event without channel',
        webhook(body([MEMBER_ADDED, { name: 'channel_occupied' }])),
        'events[1] ("channel_occupied") has no string "channel"',
      ],
      [
        'a bad subscription count',
        webhook(body([{ name: 'subscription_count', channel: 'x', subscription_count: '3' }])),
        'has no integer "subscription_count"',
      ],
    ]

    for (const [label, request, reason] of cases) {
      const error = refusal(request)
      assert.instanceOf(error, E_INVALID_WEBHOOK, label)
      assert.equal(error.status, 401, label)
      assert.equal(error.code, 'E_INVALID_WEBHOOK', label)
      assert.include(error.message, reason, label)
    }
  })

  test('a long header is cut short in the message', ({ assert }) => {
    const error = refusal(webhook(body([]), { 'X-Pusher-Key': 'k'.repeat(5000) }))
    assert.isBelow(error.message.length, 400)
  })

  test('a body over 1 MB is refused with 413 before anything else', ({ assert }) => {
    const raw = body([{ ...MEMBER_ADDED, padding: 'x'.repeat(MAX_WEBHOOK_BODY_BYTES) }])
    const error = refusal(webhook(raw, { 'X-Pusher-Key': undefined }))
    assert.instanceOf(error, E_WEBHOOK_TOO_LARGE)
    assert.equal(error.status, 413)
    assert.include(error.message, `over the ${MAX_WEBHOOK_BODY_BYTES} bytes limit`)
  })
})

/**
 * A manager whose "pusher" connection holds CREDENTIALS, with the router
 * given
 */
async function manager(
  incomingWebhooks?: {
    path?: string
    connection?: 'pusher' | 'log'
    replayWindow?: number
    maxRemembered?: number
  },
  router?: ReturnType<RouterFactory['create']>
) {
  const config = defineConfig({
    default: 'pusher',
    connections: { pusher: drivers.pusher(CREDENTIALS), log: drivers.log() },
    incomingWebhooks,
  })
  // Typed as the container's manager, which the controller is injected with
  const resolved = (await resolveConfig(config)) as unknown as ResolvedBroadcastConfig
  return new BroadcastManager(resolved, {
    logger: recordingLogger().logger,
    router,
  })
}

test.group('Incoming webhooks | the route', () => {
  test('defineConfig leaves it off unless set, and fills its defaults', async ({ assert }) => {
    assert.isUndefined((await manager()).config.incomingWebhooks)
    assert.deepEqual((await manager({})).config.incomingWebhooks, {
      path: '/broadcasting/webhooks',
      connection: 'pusher',
      replayWindow: 300_000,
      maxRemembered: 50_000,
    })
    assert.deepEqual(
      (
        await manager({
          path: '/hooks/pusher',
          connection: 'log',
          replayWindow: 60_000,
          maxRemembered: 10,
        })
      ).config.incomingWebhooks,
      { path: '/hooks/pusher', connection: 'log', replayWindow: 60_000, maxRemembered: 10 }
    )
  })

  test('a replay window or a cap that is not a positive integer fails at defineConfig', ({
    assert,
  }) => {
    for (const [option, value] of [
      ['replayWindow', 0],
      ['replayWindow', 1.5],
      ['maxRemembered', -1],
    ] as const) {
      assert.throws(
        () =>
          defineConfig({
            default: 'log',
            connections: { log: drivers.log() },
            incomingWebhooks: { connection: 'log', [option]: value },
          }),
        `"incomingWebhooks.${option}" must be a positive integer in "config/broadcast.ts"`
      )
    }
  })

  test('an unknown connection fails at defineConfig', ({ assert }) => {
    assert.throws(
      () =>
        defineConfig({
          default: 'log',
          connections: { log: drivers.log() },
          incomingWebhooks: { connection: 'pusher' as any },
        }),
      'The "incomingWebhooks.connection" "pusher" is not defined in "config/broadcast.ts". Defined: log'
    )
  })

  test('without incomingWebhooks, registerRoutes adds no webhook route', async ({ assert }) => {
    const router = new RouterFactory().create()
    const broadcast = await manager(undefined, router)
    broadcast.registerRoutes()
    router.commit()

    assert.isNull(router.match('/broadcasting/webhooks', 'POST', false))
    const names = router.toJSON().root.map((route) => route.name)
    // The debug console's routes too: it is on outside production
    assert.sameMembers(names, [
      'broadcast.authorize',
      'broadcast.user_auth',
      'broadcast.console',
      'broadcast.console.events',
    ])
  })

  test('with incomingWebhooks, POST <path> is "broadcast.webhooks", untouched by the callback', async ({
    assert,
  }) => {
    const router = new RouterFactory().create()
    const broadcast = await manager({ path: '/hooks/pusher' }, router)
    const modified: string[] = []
    broadcast.registerRoutes((route: Route) => {
      modified.push(route.getPattern())
      route.use(async () => {
        throw new Error('the auth middleware must not run for webhooks')
      })
    })
    router.commit()

    const matched = router.match('/hooks/pusher', 'POST', false)
    assert.equal(matched?.route.name, 'broadcast.webhooks')
    assert.deepEqual(matched?.route.methods, ['POST'])
    assert.deepEqual([...matched!.route.middleware.all()], [])
    assert.sameMembers(modified, [
      '/broadcasting/authorize',
      '/broadcasting/user-auth',
      '/broadcasting/console',
      '/broadcasting/console/events',
    ])
    assert.isNull(router.match('/broadcasting/webhooks', 'POST', false))
  })
})

/**
 * Records what the controller emits; "failOn" makes that event's listener
 * throw
 */
function recordingEmitter(failOn?: string) {
  const emitted: Array<[string, unknown]> = []
  const emitter: LifecycleEmitter = {
    async emit(name, data) {
      emitted.push([name, data])
      if (name === failOn) throw new Error('listener failed')
    },
  }
  return { emitter, emitted }
}

function context(rawBody: string, headers: Record<string, string>) {
  const ctx = new HttpContextFactory().create()
  for (const [name, value] of Object.entries(headers)) {
    ctx.request.request.headers[name.toLowerCase()] = value
  }
  ctx.request.updateRawBody(rawBody)
  const logged = recordingLogger()
  ctx.logger = logged.logger
  return { ctx, entries: logged.entries }
}

test.group('Incoming webhooks | WebhookController', () => {
  test('emits each event on the emitter, then answers {}', async ({ assert }) => {
    const raw = body([{ name: 'channel_occupied', channel: 'presence-room.1' }, MEMBER_ADDED])
    const { ctx } = context(raw, webhook(raw).headers as Record<string, string>)
    const { emitter, emitted } = recordingEmitter()

    const answer = await new WebhookController(
      new IncomingWebhooks(await manager({})),
      emitter as any
    ).handle(ctx)
    assert.deepEqual(answer, {})
    assert.deepEqual(emitted, [
      ['broadcast:channel_occupied', { name: 'channel_occupied', channel: 'presence-room.1' }],
      ['broadcast:member_added', MEMBER_ADDED],
    ])
  })

  test('a failing listener is logged; the other events are still emitted', async ({ assert }) => {
    const raw = body([MEMBER_ADDED, { name: 'channel_vacated', channel: 'presence-room.1' }])
    const { ctx, entries } = context(raw, webhook(raw).headers as Record<string, string>)
    const { emitter, emitted } = recordingEmitter('broadcast:member_added')

    const answer = await new WebhookController(
      new IncomingWebhooks(await manager({})),
      emitter as any
    ).handle(ctx)
    assert.deepEqual(answer, {})
    assert.deepEqual(
      emitted.map(([name]) => name),
      ['broadcast:member_added', 'broadcast:channel_vacated']
    )
    assert.lengthOf(
      entries.filter((entry) => entry.level === 'error'),
      1
    )
  })

  test('a refusal emits nothing and is logged as a warning', async ({ assert }) => {
    const raw = body([MEMBER_ADDED])
    const { ctx, entries } = context(raw, {
      ...(webhook(raw).headers as Record<string, string>),
      'X-Pusher-Signature': sign(raw, 'wrong'),
    })
    const { emitter, emitted } = recordingEmitter()

    const controller = new WebhookController(
      new IncomingWebhooks(await manager({})),
      emitter as any
    )
    await assert.rejects(() => controller.handle(ctx), /X-Pusher-Signature does not match the body/)
    assert.deepEqual(emitted, [])
    assert.deepEqual(
      entries.map((entry) => entry.level),
      ['warn']
    )
  })

  test('a batch outside the window is a 400 and emits nothing; one seen before emits nothing', async ({
    assert,
  }) => {
    const controller = new WebhookController(
      new IncomingWebhooks(await manager({ replayWindow: 60_000 })),
      recordingEmitter().emitter as any
    )
    const post = async (raw: string) => {
      const { ctx, entries } = context(raw, webhook(raw).headers as Record<string, string>)
      const { emitter, emitted } = recordingEmitter()
      ;(controller as any).emitter = emitter
      const answer = await controller.handle(ctx).catch((error) => error)
      return { answer, emitted, entries }
    }

    const stale = await post(body([MEMBER_ADDED], Date.now() - 61_000))
    assert.instanceOf(stale.answer, E_WEBHOOK_OUTSIDE_WINDOW)
    assert.equal(stale.answer.status, 400)
    assert.match(stale.answer.message, /is 6\d s in the past, outside the 60 s window/)
    assert.deepEqual(stale.emitted, [])
    assert.deepEqual(
      stale.entries.map((entry) => entry.level),
      ['warn']
    )

    const raw = body([MEMBER_ADDED])
    const first = await post(raw)
    assert.deepEqual(first.answer, {})
    assert.lengthOf(first.emitted, 1)
    const again = await post(raw)
    assert.deepEqual(again.answer, {})
    assert.deepEqual(again.emitted, [])
    assert.include(String(again.entries[0].args.at(-1)), 'received again')
  })

  test('a connection without credentials is the app config error (500)', async ({ assert }) => {
    const raw = body([MEMBER_ADDED])
    const { ctx } = context(raw, webhook(raw).headers as Record<string, string>)
    const { emitter, emitted } = recordingEmitter()

    const controller = new WebhookController(
      new IncomingWebhooks(await manager({ connection: 'log' })),
      emitter as any
    )
    await assert.rejects(
      () => controller.handle(ctx),
      'The "log" broadcast connection has no key and secret to verify Pusher\'s webhooks: set "incomingWebhooks.connection" to a "pusher" connection'
    )
    assert.deepEqual(emitted, [])
  })
})

test.group('Incoming webhooks | ReplayGuard', () => {
  const NOW = 1_800_000_000_000

  test('admits a signature once inside the window; refuses a time outside it either way', ({
    assert,
  }) => {
    const guard = new ReplayGuard(300_000, 100)
    assert.isTrue(guard.admit(NOW - 299_000, 'aa', NOW))
    assert.isFalse(guard.admit(NOW - 299_000, 'aa', NOW))
    assert.isFalse(guard.admit(NOW - 299_000, 'AA', NOW + 500))
    assert.isTrue(guard.admit(NOW + 300_000, 'bb', NOW))
    assert.throws(
      () => guard.admit(NOW - 300_001, 'cc', NOW),
      /301 s in the past, outside the 300 s window/
    )
    assert.throws(() => guard.admit(NOW + 301_000, 'dd', NOW), /301 s in the future/)
    assert.throws(() => guard.admit(Number.POSITIVE_INFINITY, 'ee', NOW), E_WEBHOOK_OUTSIDE_WINDOW)
    assert.throws(() => guard.admit(Number.NaN, 'ff', NOW), E_WEBHOOK_OUTSIDE_WINDOW)
    assert.equal(guard.size, 2)
  })

  test('forgets a signature once its batch left the window: memory stays bounded', ({ assert }) => {
    const guard = new ReplayGuard(1000, 100)
    for (let i = 0; i < 50; i++) guard.admit(NOW, `sig-${i}`, NOW)
    assert.equal(guard.size, 50)
    // The batch is then refused for its time, before its signature is read
    assert.throws(() => guard.admit(NOW, 'sig-0', NOW + 1001), E_WEBHOOK_OUTSIDE_WINDOW)
    guard.admit(NOW + 1001, 'later', NOW + 1001)
    assert.equal(guard.size, 1)
  })

  test('keeps at most maxRemembered signatures, forgetting the oldest', ({ assert }) => {
    const guard = new ReplayGuard(300_000, 3)
    for (const sig of ['a', 'b', 'c', 'd']) assert.isTrue(guard.admit(NOW, sig, NOW))
    assert.equal(guard.size, 3)
    assert.isTrue(guard.admit(NOW, 'a', NOW), 'the oldest was forgotten')
    assert.isFalse(guard.admit(NOW, 'd', NOW))
  })
})
