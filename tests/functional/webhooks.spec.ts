import { test } from '@japa/runner'
import { randomUUID, createHmac } from 'node:crypto'
import type { ApiClient } from '@japa/api-client'
import app from '@adonisjs/core/services/app'
import env from '#start/env'
import type { LifecycleEvent } from '@adonisjs-broadcasting/engine'

/**
 * The example app verifies webhooks with its "pusher" connection, which
 * holds these credentials
 */
const KEY = env.get('PUSHER_APP_KEY')
const SECRET = env.get('PUSHER_APP_SECRET').release()

/**
 * X-Pusher-Signature as Pusher computes it: the hex HMAC-SHA256 of the raw
 * body with the app's secret
 */
function signature(rawBody: string, secret = SECRET) {
  return createHmac('sha256', secret).update(rawBody).digest('hex')
}

/**
 * A webhook body as Pusher writes it
 */
function pusherBody(events: unknown[], timeMs = Date.now()) {
  return JSON.stringify({ time_ms: timeMs, events })
}

/**
 * Posts a webhook the way Pusher does: the raw body, "Content-Type:
 * application/json", X-Pusher-Key and X-Pusher-Signature, and no CSRF
 * token, session or cookie. "headers" overrides or (undefined) removes one.
 */
function postWebhook(
  client: ApiClient,
  rawBody: string,
  headers: Record<string, string | undefined> = {}
) {
  const all: Record<string, string | undefined> = {
    'X-Pusher-Key': KEY,
    'X-Pusher-Signature': signature(rawBody),
    ...headers,
  }
  const request = client.post('/broadcasting/webhooks').unsafeJson(rawBody)
  for (const [name, value] of Object.entries(all)) {
    if (value !== undefined) request.header(name, value)
  }
  return request
}

/**
 * Every "broadcast:*" event the app's emitter emits about this test's
 * channels (their names hold "tag"), in order
 */
async function recordLifecycleEvents(tag: string, cleanup: (fn: () => void) => void) {
  const emitter = await app.container.make('emitter')
  const seen: Array<[string, unknown]> = []
  const listener = (name: unknown, data: unknown) => {
    if (typeof name === 'string' && name.startsWith('broadcast:')) {
      if (JSON.stringify(data).includes(tag)) seen.push([name, data])
    }
  }
  emitter.onAny(listener)
  cleanup(() => emitter.offAny(listener))
  return seen
}

function tagged() {
  const tag = randomUUID().slice(0, 8)
  return { tag, presence: `presence-webhooks-${tag}`, private: `private-webhooks-${tag}` }
}

test.group('Incoming webhooks | POST /broadcasting/webhooks in the example app', () => {
  test('a signed batch emits each event with its payload, without a CSRF token', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { tag, presence, private: privateChannel } = tagged()
    const seen = await recordLifecycleEvents(tag, cleanup)

    const emitter = await app.container.make('emitter')
    const membersAdded: LifecycleEvent[] = []
    const unsubscribe = emitter.on('broadcast:member_added', (event) => {
      if (event.channel === presence) membersAdded.push(event)
    })
    cleanup(unsubscribe)

    /**
     * Written by hand, with spacing and characters JSON.stringify would
     * write differently: only the raw body matches the signature
     */
    const rawBody = `{"time_ms": ${Date.now()}, "events": [
      {"name": "channel_occupied", "channel": "${presence}"},
      {"name": "member_added", "channel": "${presence}", "user_id": "42"},
      {"name": "client_event", "channel": "${privateChannel}", "event": "client-typing",
       "data": "{\\"text\\":\\"h\\u00e9llo ✓\\"}", "socket_id": "123.456"},
      {"name": "some_future_event", "channel": "${presence}"}
    ]}`

    // Shield would redirect (302) a POST without a CSRF token
    const response = await postWebhook(client, rawBody).redirects(0)

    response.assertStatus(200)
    assert.deepEqual(response.body(), {})
    assert.deepEqual(membersAdded, [{ name: 'member_added', channel: presence, user_id: '42' }])
    assert.deepEqual(seen, [
      ['broadcast:channel_occupied', { name: 'channel_occupied', channel: presence }],
      ['broadcast:member_added', { name: 'member_added', channel: presence, user_id: '42' }],
      [
        'broadcast:client_event',
        {
          name: 'client_event',
          channel: privateChannel,
          event: 'client-typing',
          data: '{"text":"héllo ✓"}',
          socket_id: '123.456',
        },
      ],
    ])
  })

  test('a batch posted again is answered 200 and emitted once', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { tag, presence } = tagged()
    const seen = await recordLifecycleEvents(tag, cleanup)
    const rawBody = pusherBody([{ name: 'member_added', channel: presence, user_id: '7' }])

    const first = await postWebhook(client, rawBody)
    const replayed = await postWebhook(client, rawBody)

    first.assertStatus(200)
    // 200, not a refusal: Pusher retries a batch whose answer it missed
    replayed.assertStatus(200)
    assert.deepEqual(replayed.body(), {})
    assert.deepEqual(seen, [
      ['broadcast:member_added', { name: 'member_added', channel: presence, user_id: '7' }],
    ])
  })

  test('a signed batch older or newer than 5 minutes is a 400 naming the window; nothing is emitted', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { tag, presence } = tagged()
    const seen = await recordLifecycleEvents(tag, cleanup)
    const events = [{ name: 'member_added', channel: presence, user_id: '1' }]

    const old = await postWebhook(client, pusherBody(events, Date.now() - 6 * 60_000))
    old.assertStatus(400)
    assert.equal(old.body().error.code, 'E_WEBHOOK_OUTSIDE_WINDOW')
    assert.match(
      old.body().error.message,
      /"time_ms" is 36\d s in the past, outside the 300 s window/
    )

    const ahead = await postWebhook(client, pusherBody(events, Date.now() + 6 * 60_000))
    ahead.assertStatus(400)
    assert.match(ahead.body().error.message, /in the future, outside the 300 s window/)

    // 1e400 parses as Infinity: not a time at all
    const huge = `{"time_ms": 1e400, "events": [{"name": "channel_occupied", "channel": "${presence}"}]}`
    const far = await postWebhook(client, huge)
    far.assertStatus(401)
    assert.include(far.body().error.message, 'the body has no numeric "time_ms"')

    assert.deepEqual(seen, [])
    // Inside the window it passes
    ;(await postWebhook(client, pusherBody(events, Date.now() - 4 * 60_000))).assertStatus(200)
    assert.lengthOf(seen, 1)
  })

  test('CSRF still guards the other broadcasting routes', async ({ client }) => {
    const response = await client
      .post('/broadcasting/authorize')
      .form({ socket_id: '1234.5678', channel_name: 'private-admins' })
      .redirects(0)
    response.assertStatus(302)
  })

  test('a "; charset=utf-8" content type is accepted', async ({ client, assert, cleanup }) => {
    const { tag, presence } = tagged()
    const seen = await recordLifecycleEvents(tag, cleanup)
    const rawBody = pusherBody([{ name: 'channel_vacated', channel: presence }])

    const response = await postWebhook(client, rawBody, {
      'Content-Type': 'application/json; charset=utf-8',
    })

    response.assertStatus(200)
    assert.deepEqual(seen, [
      ['broadcast:channel_vacated', { name: 'channel_vacated', channel: presence }],
    ])
  })

  test('a wrong signature is a 401 that names it; nothing is emitted', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { tag, presence } = tagged()
    const seen = await recordLifecycleEvents(tag, cleanup)
    const rawBody = pusherBody([{ name: 'member_added', channel: presence, user_id: '1' }])

    const response = await postWebhook(client, rawBody, {
      'X-Pusher-Signature': signature(rawBody, 'not-the-secret'),
    }).redirects(0)

    response.assertStatus(401)
    assert.equal(response.body().error.code, 'E_INVALID_WEBHOOK')
    assert.include(response.body().error.message, 'X-Pusher-Signature does not match the body')
    assert.deepEqual(seen, [])
  })

  test('a body changed after signing is a 401; nothing is emitted', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { tag, presence } = tagged()
    const seen = await recordLifecycleEvents(tag, cleanup)
    const signed = pusherBody([{ name: 'member_added', channel: presence, user_id: '1' }])
    const sent = signed.replace('"1"', '"2"')

    const response = await postWebhook(client, sent, { 'X-Pusher-Signature': signature(signed) })

    response.assertStatus(401)
    assert.deepEqual(seen, [])
  })

  test('a wrong key is a 401 that names it; nothing is emitted', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { tag, presence } = tagged()
    const seen = await recordLifecycleEvents(tag, cleanup)
    const rawBody = pusherBody([{ name: 'member_added', channel: presence, user_id: '1' }])

    const response = await postWebhook(client, rawBody, { 'X-Pusher-Key': 'another-app-key' })

    response.assertStatus(401)
    assert.equal(response.body().error.code, 'E_INVALID_WEBHOOK')
    assert.include(
      response.body().error.message,
      'X-Pusher-Key "another-app-key" is not the key of the "pusher" connection'
    )
    assert.deepEqual(seen, [])
  })

  test('a missing header is a 401 naming it; nothing is emitted', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { tag, presence } = tagged()
    const seen = await recordLifecycleEvents(tag, cleanup)
    const rawBody = pusherBody([{ name: 'member_added', channel: presence, user_id: '1' }])

    for (const header of ['X-Pusher-Signature', 'X-Pusher-Key']) {
      const response = await postWebhook(client, rawBody, { [header]: undefined })
      assert.equal(response.status(), 401, header)
      assert.include(response.body().error.message, `no ${header} header`)
    }
    const plain = await postWebhook(client, rawBody, { 'Content-Type': 'text/plain' })
    assert.equal(plain.status(), 401)
    assert.include(plain.body().error.message, 'Pusher sends "application/json"')
    assert.deepEqual(seen, [])
  })

  test('malformed JSON with a valid signature is a 4xx, never a 500', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { tag, presence } = tagged()
    const seen = await recordLifecycleEvents(tag, cleanup)

    /**
     * The bodyparser refuses what is not JSON (400) or not an object or an
     * array (422) before the route runs; the route refuses the rest (401)
     */
    const cases: Array<[string, number]> = [
      [`{"time_ms": 1, "events": [{"name": "member_added", "channel": "${presence}"`, 400],
      [`"${presence}"`, 422],
      [`[{"name": "member_added", "channel": "${presence}", "user_id": "1"}]`, 401],
      [`{"time_ms": 1, "events": {"name": "channel_occupied", "channel": "${presence}"}}`, 401],
      [`{"time_ms": 1, "events": [{"name": "member_added", "channel": "${presence}"}]}`, 401],
    ]
    for (const [rawBody, status] of cases) {
      const response = await postWebhook(client, rawBody).redirects(0)
      assert.equal(response.status(), status, rawBody)
    }
    assert.deepEqual(seen, [])
  })

  test('a body over the size limit is a 413; nothing is emitted', async ({
    client,
    assert,
    cleanup,
  }) => {
    const { tag, presence } = tagged()
    const seen = await recordLifecycleEvents(tag, cleanup)
    const rawBody = pusherBody([
      { name: 'member_added', channel: presence, user_id: '1', padding: 'x'.repeat(1_100_000) },
    ])

    const response = await postWebhook(client, rawBody)

    // The bodyparser's JSON limit (1 MB) and the route's own are the same
    response.assertStatus(413)
    assert.deepEqual(seen, [])
  })
})
