import { test } from '@japa/runner'
import type { Assert } from '@japa/assert'
import fc from 'fast-check'
import { Clients, HOST, connected, localDriver, once, port } from '../../helpers/server_clients.ts'
import { rawRequest, statusOf, upgradeRequest } from '../../helpers/raw_http.ts'
import { collectUncaught } from '../../helpers/uncaught.ts'

/**
 * The app still answers a page, a pusher-js client and a raw WebSocket
 */
async function assertServing(assert: Assert, clients: Clients, uncaught: unknown[]) {
  const page = await fetch(`http://${HOST}:${port()}/`)
  assert.equal(page.status, 200)

  const pusher = await clients.pusher()
  await connected(pusher)
  const channel = pusher.subscribe('releases')
  await once(channel, 'pusher:subscription_succeeded')

  const raw = await clients.raw()
  assert.match(raw.socketId, /^\d+\.\d+$/)
  assert.deepEqual(uncaught.map(String), [], 'nothing escaped a listener')
}

const hex = fc.constantFrom(...'0123456789abcdefABCDEFxyz%'.split(''))

/**
 * Path pieces that break percent-decoding or routing
 */
const pathPiece = fc.oneof(
  fc.constantFrom('%', '%E0%A4%A', '%E0%A4', '%C0%AF', '%FF', '%00', '%2F', '%25', '..', '//', '?'),
  fc.constant('%E4%B8%AD'.repeat(50)),
  fc.tuple(hex, hex).map(([a, b]) => `%${a}${b}`),
  fc.string({ maxLength: 12 }).map((value) => encodeURIComponent(value)),
  fc.stringMatching(/^[A-Za-z0-9\-._~!$&'()*+,;=:@]{0,16}$/)
)

function upgradePath(key: string) {
  return fc
    .tuple(
      fc.oneof(
        { arbitrary: fc.constantFrom('/app/', `/app/${key}`), weight: 4 },
        { arbitrary: fc.constantFrom('/app', '/apps/', '/', '/ws/app/', '//app/'), weight: 1 }
      ),
      fc.oneof(fc.constant([]), fc.array(pathPiece, { maxLength: 6 })),
      fc.option(fc.array(pathPiece, { maxLength: 6 }), { nil: undefined })
    )
    .map(
      ([start, pieces, query]) =>
        `${start}${pieces.join('')}${query === undefined ? '' : `?${query.join('&')}`}`
    )
}

/**
 * A header that is mostly valid, so handshakes also succeed, sometimes odd,
 * random or missing
 */
const headerValue = (valid: string | undefined, odd: string[]) =>
  fc.oneof(
    { arbitrary: fc.constant(valid), weight: 6 },
    { arbitrary: fc.constantFrom(...odd), weight: 2 },
    { arbitrary: fc.stringMatching(/^[\x21-\x7e]{0,40}$/), weight: 1 },
    { arbitrary: fc.constant(undefined), weight: 1 }
  )

const headers = fc.record({
  'Upgrade': headerValue('websocket', ['WebSocket', 'h2c', '']),
  'Connection': headerValue('Upgrade', ['keep-alive, Upgrade', 'close']),
  'Sec-WebSocket-Key': headerValue('dGhlIHNhbXBsZSBub25jZQ==', [
    '',
    'garbage',
    '====',
    'x'.repeat(200),
  ]),
  'Sec-WebSocket-Version': headerValue('13', ['8', '7', '', '13, 8', '-1', '1e3']),
  'Origin': headerValue(undefined, [
    'http://evil.example',
    'null',
    '%%%',
    'http://[::1',
    'https://*.x',
  ]),
  'Sec-WebSocket-Protocol': headerValue(undefined, ['a,,b', ',', 'chat, superchat']),
  'Sec-WebSocket-Extensions': headerValue(undefined, [
    'permessage-deflate; client_max_window_bits',
    'permessage-deflate; server_max_window_bits=99',
    ';;;',
  ]),
  'X-Forwarded-For': headerValue(undefined, ['1.2.3.4', 'not an ip']),
})

test.group('Embedded server | hostile upgrade requests', (group) => {
  const clients = new Clients()
  let uncaught: ReturnType<typeof collectUncaught>
  group.each.setup(() => {
    uncaught = collectUncaught()
  })
  group.each.teardown(() => clients.closeAll())
  group.each.teardown(() => uncaught.stop())

  test('an upgrade to a path with malformed percent-encoding gets 400; the app keeps serving', async ({
    assert,
  }) => {
    for (const path of ['/app/%E0%A4%A', '/app/%', '/app/%E0%A4%A?protocol=7', '/app/%zz']) {
      const answer = await rawRequest(upgradeRequest(path))
      assert.equal(statusOf(answer), 400, `${path}: ${answer.head}`)
    }
    await assertServing(assert, clients, uncaught.errors)
  })

  test('a socket being refused (unknown key) that sends invalid frames does not stop the app', async ({
    assert,
  }) => {
    // RSV bits set, no FIN: "ws" reports it as an "error" event on the socket
    const garbage = Buffer.from([0x70, 0x85, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    for (let i = 0; i < 3; i++) {
      const answer = await rawRequest(
        Buffer.concat([Buffer.from(upgradeRequest('/app/not-the-key')), garbage])
      )
      assert.equal(statusOf(answer), 101)
    }
    await assertServing(assert, clients, uncaught.errors)
  })

  test('an unknown key of multibyte characters is refused with 4001 and a cut reason', async ({
    assert,
  }) => {
    // The reason quotes the key: 50 such characters are 150 bytes, over a close frame's 123
    const client = await clients.raw(`/app/${'%E4%B8%AD'.repeat(60)}`)
    assert.equal(client.frames[0].data.code, 4001)
    assert.equal(await client.closed(), 4001)
    await assertServing(assert, clients, uncaught.errors)
  })

  test('fuzz: random paths, percent escapes, headers and trailing bytes never stop the app', async ({
    assert,
  }) => {
    const { key } = (await localDriver()).credentials
    const statuses = new Map<number, number>()
    await fc.assert(
      fc.asyncProperty(
        upgradePath(key),
        headers,
        fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
        async (path, headerSet, trailing) => {
          const head = Buffer.from(upgradeRequest(path, headerSet), 'latin1')
          const bytes = trailing ? Buffer.concat([head, trailing]) : head
          const answer = await rawRequest(bytes, { timeoutMs: 300 })
          const status = statusOf(answer)
          statuses.set(status, (statuses.get(status) ?? 0) + 1)
          // Never a server error, whatever was sent
          return status < 500
        }
      ),
      { numRuns: 300 }
    )
    // The runs reached both accepted handshakes and refusals
    assert.isAbove(statuses.get(101) ?? 0, 0, JSON.stringify([...statuses]))
    assert.isAbove(statuses.get(400) ?? 0, 0, JSON.stringify([...statuses]))
    await assertServing(assert, clients, uncaught.errors)
  }).timeout(60_000)
})
