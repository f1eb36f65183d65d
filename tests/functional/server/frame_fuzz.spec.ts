import { test } from '@japa/runner'
import fc from 'fast-check'
import {
  Clients,
  type RawClient,
  connected,
  once,
  sdkAuthorizer,
} from '../../helpers/server_clients.ts'
import { collectUncaught } from '../../helpers/uncaught.ts'

const CHANNEL = 'presence-chat.1'

/**
 * Close codes a fuzzed frame may legitimately cause: a forged sign-in
 * (4009) and a text frame that is not UTF-8 (1007, by "ws")
 */
const EXPECTED_CLOSES = new Set([4009, 1007])

const deep = fc
  .tuple(fc.integer({ min: 1, max: 4_000 }), fc.constantFrom('[', '{"a":'))
  .map(([depth, open]) => `${open.repeat(depth)}0${(open === '[' ? ']' : '}').repeat(depth)}`)

const oddValue = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.string({ maxLength: 50 }),
  fc.constantFrom(null, 0, -1, 1e308, true, [], {}, '{', '[]', '{"channel":{}}', '"x"'),
  // Over maxMessageBytes; four of them stay under maxFrameBytes
  fc.integer({ min: 10_000, max: 60_000 }).map((size) => 'x'.repeat(size))
)

const eventName = fc.oneof(
  fc.constantFrom(
    'pusher:subscribe',
    'pusher:unsubscribe',
    'pusher:signin',
    'pusher:ping',
    'pusher:pong',
    'client-fuzz',
    `client-${'x'.repeat(250)}`,
    '',
    'pusher_internal:member_added'
  ),
  fc.string({ maxLength: 30 }),
  oddValue
)

const channelValue = fc.oneof(
  fc.constantFrom(CHANNEL, 'releases', 'private-admins', '#server-to-user-1', 'a'.repeat(201)),
  fc.string({ maxLength: 30 }),
  oddValue
)

/**
 * One inbound message as text (or raw bytes): a frame object with odd
 * fields, any JSON, deep nesting, non-JSON and non-UTF-8
 */
const message = fc.oneof(
  {
    arbitrary: fc
      .record({ event: eventName, channel: channelValue, data: oddValue }, { requiredKeys: [] })
      .map((frame) => JSON.stringify(frame)),
    weight: 5,
  },
  {
    arbitrary: fc
      .record({
        event: eventName,
        data: fc.record(
          { channel: channelValue, auth: oddValue, channel_data: oddValue, user_data: oddValue },
          { requiredKeys: [] }
        ),
      })
      .map((frame) => JSON.stringify(frame)),
    weight: 3,
  },
  {
    arbitrary: deep.map((data) => `{"event":"client-fuzz","channel":"${CHANNEL}","data":${data}}`),
    weight: 1,
  },
  { arbitrary: deep.map((data) => `{"event":"pusher:subscribe","data":${data}}`), weight: 1 },
  { arbitrary: deep, weight: 1 },
  { arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)), weight: 1 },
  { arbitrary: fc.string({ maxLength: 100 }), weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 100 }).map((bytes) => Buffer.from(bytes)), weight: 1 }
)

test.group('Embedded server | hostile frames', (group) => {
  const clients = new Clients()
  group.each.teardown(() => clients.closeAll())

  test('fuzz: random frames get answers; the connection and the server survive', async ({
    assert,
    cleanup,
  }) => {
    const uncaught = collectUncaught()
    cleanup(() => uncaught.stop())
    const authorize = await sdkAuthorizer({ user_id: 'fuzzer', user_info: { name: 'F' } })

    const observer = await clients.pusher({
      authorizer: await sdkAuthorizer({ user_id: 'watcher' }),
    })
    await connected(observer)
    await once(observer.subscribe(CHANNEL), 'pusher:subscription_succeeded')

    const opened: RawClient[] = []
    const open = async () => {
      const client = await clients.raw()
      const auth = await authorize(client.socketId, CHANNEL)
      client.send({ event: 'pusher:subscribe', data: { channel: CHANNEL, ...auth } })
      await client.next((frame) => frame.event === 'pusher_internal:subscription_succeeded')
      opened.push(client)
      const closed = new Promise<number>((resolve) => client.ws.once('close', resolve))
      return { client, closed }
    }
    const closes: number[] = []
    let current: Awaited<ReturnType<typeof open>> | undefined

    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 5 }), async (messages) => {
        current ??= await open()
        const { client, closed } = current
        for (const text of messages) client.ws.send(text, { binary: false })
        // A ping after the batch: its pong proves every frame was handled
        const pongs = client.of('pusher:pong').length
        client.send({ event: 'pusher:ping', data: {} })
        const pong = client.next(
          (frame) => frame.event === 'pusher:pong' && client.of('pusher:pong').length > pongs,
          5000
        )
        const outcome = await Promise.race([pong.then(() => 'pong'), closed])
        if (outcome !== 'pong') {
          pong.catch(() => {})
          closes.push(outcome as number)
          current = undefined
        }
        return true
      }),
      { numRuns: 250 }
    )

    const internal = opened
      .flatMap((client) => client.of('pusher:error'))
      .filter((frame) => frame.data?.message === 'Internal error')
    assert.deepEqual(internal, [], 'no frame made a handler throw')
    assert.deepEqual(
      closes.filter((code) => !EXPECTED_CLOSES.has(code)),
      [],
      `unexpected close codes: ${closes.join(', ')}`
    )

    // The server still serves: a fresh socket subscribes and is answered
    const { client: fresh } = await open()
    fresh.send({ event: 'pusher:ping', data: {} })
    await fresh.next((f) => f.event === 'pusher:pong')
    assert.equal(observer.connection.state, 'connected')
    assert.deepEqual(uncaught.errors.map(String), [])
  }).timeout(120_000)
})
