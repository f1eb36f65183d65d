import { test } from '@japa/runner'
import PusherSdk from 'pusher'
import { LocalDriver } from '../../../src/drivers/local.ts'
import type { ServerLimits } from '../../../packages/engine/src/limits.ts'
import {
  Clients,
  HOST,
  localDriver,
  port,
  sdk,
  sleep,
  within,
} from '../../helpers/server_clients.ts'
import { signedQuery, stalledUpload } from '../../helpers/http_api_requests.ts'

const SOLO = { appId: 'solo', key: 'solo-key', secret: 'solo-secret' }

/**
 * A local driver on a port of its own with the given limits, and the SDK
 * pointed at it
 */
async function standalone(limits: Partial<ServerLimits>) {
  const driver = new LocalDriver({ ...SOLO, limits })
  const { port: soloPort } = await driver.listen(0, '127.0.0.1')
  const api = new PusherSdk({ ...SOLO, host: HOST, port: String(soloPort), useTLS: false })
  return { driver, port: soloPort, api }
}

const EVENT = JSON.stringify({ name: 'Stalled', data: '{}', channels: ['news'] })

test.group('Embedded server | HTTP API under attack', (group) => {
  const clients = new Clients()
  group.each.teardown(() => clients.closeAll())

  test('an unsigned upload that never ends is refused at once and its connection closed', async ({
    assert,
    cleanup,
  }) => {
    const { appId } = (await localDriver()).credentials
    const upload = stalledUpload(port(), `/apps/${appId}/events`, 100_000, '{"name":')
    cleanup(upload.abort)

    const answer = await within(upload.answer, 'the 401', 2000)
    assert.equal(answer.status, 401)
    assert.equal(answer.body.error, 'Unknown auth_key')
    assert.isBelow(answer.at, 1000)
    // The server does not wait for (or drain) a body it will never use
    assert.isBelow(await within(upload.closed, 'the connection to close', 2000), 2000)
  })

  test('a signed request announcing a body over maxRequestBytes gets 413 before sending it', async ({
    assert,
    cleanup,
  }) => {
    const credentials = (await localDriver()).credentials
    const path = `/apps/${credentials.appId}/events`
    const upload = stalledUpload(
      port(),
      `${path}?${signedQuery(credentials, 'POST', path, EVENT)}`,
      10_000_000
    )
    cleanup(upload.abort)
    const answer = await within(upload.answer, 'the 413', 2000)
    assert.equal(answer.status, 413)
    assert.match(answer.body.error, /maxRequestBytes/)
  })

  test('a signed upload that stalls gets 408 after requestBodyTimeout', async ({
    assert,
    cleanup,
  }) => {
    const { driver, port: soloPort, api } = await standalone({ requestBodyTimeout: 0.3 })
    cleanup(() => driver.close())
    const path = '/apps/solo/events'
    const upload = stalledUpload(
      soloPort,
      `${path}?${signedQuery(SOLO, 'POST', path, EVENT)}`,
      EVENT.length,
      EVENT.slice(0, 10)
    )
    cleanup(upload.abort)

    const answer = await within(upload.answer, 'the 408', 3000)
    assert.equal(answer.status, 408)
    assert.match(answer.body.error, /requestBodyTimeout/)
    assert.isAtLeast(answer.at, 250)
    await within(upload.closed, 'the connection to close', 2000)
    assert.equal((await api.trigger('news', 'After', {})).status, 200)
  })

  test('past maxConcurrentRequestBodies a body is refused with 503; aborted bodies free their slot', async ({
    assert,
    cleanup,
  }) => {
    const {
      driver,
      port: soloPort,
      api,
    } = await standalone({
      maxConcurrentRequestBodies: 2,
      requestBodyTimeout: 5,
    })
    cleanup(() => driver.close())
    const path = '/apps/solo/events'
    const signed = () => `${path}?${signedQuery(SOLO, 'POST', path, EVENT)}`
    const first = stalledUpload(soloPort, signed(), EVENT.length, '{')
    const second = stalledUpload(soloPort, signed(), EVENT.length, '{')
    await sleep(100)

    const third = stalledUpload(soloPort, signed(), EVENT.length, '{')
    cleanup(() => [first, second, third].forEach((upload) => upload.abort()))
    const refused = await within(third.answer, 'the 503', 2000)
    assert.equal(refused.status, 503)
    assert.equal(refused.headers['retry-after'], '1')
    assert.match(refused.body.error, /maxConcurrentRequestBodies: 2/)
    // GET requests have no body and are not counted
    assert.equal((await api.get({ path: '/channels' })).status, 200)

    first.abort()
    second.abort()
    await sleep(100)
    assert.equal((await api.trigger('news', 'Fits', {})).status, 200)
  })

  test('an event listing a channel three times is delivered once', async ({ assert }) => {
    const raw = await clients.raw()
    raw.send({ event: 'pusher:subscribe', data: { channel: 'news', auth: '' } })
    await raw.next((f) => f.event === 'pusher_internal:subscription_succeeded')

    const api = await sdk()
    const response = await api.trigger(
      ['news', 'news', 'news'],
      'Once',
      { n: 1 },
      {
        info: 'subscription_count',
      }
    )
    assert.deepEqual(await response.json(), { channels: { news: { subscription_count: 1 } } })
    await api.trigger('news', 'After', {})
    await raw.next((f) => f.event === 'After')
    assert.lengthOf(raw.of('Once'), 1)
  })

  test("the API is mounted under /apps/<appId>/ only: the app's own /apps/ routes answer", async ({
    assert,
  }) => {
    const { appId } = (await localDriver()).credentials
    const base = `http://${HOST}:${port()}`

    // tests/fixtures/routes.ts: GET /apps/:name/about
    const own = await fetch(`${base}/apps/catalogue/about`)
    assert.equal(own.status, 200)
    assert.deepEqual(await own.json(), { app: 'catalogue' })

    // Malformed escapes in the app id go to the app, and nothing throws
    const malformed = await fetch(`${base}/apps/%E0%A4%A/about`)
    assert.notMatch(await malformed.text(), /Unknown app|Malformed percent-encoding/)
    const bare = await fetch(`${base}/apps/${appId}`)
    assert.equal(bare.status, 404)

    // The API still answers under its app id, percent-encoded or not
    const api = await sdk()
    assert.equal((await api.get({ path: '/channels' })).status, 200)
    const encoded = `/apps/${encodeURIComponent(appId).replace(/./, (c) => `%${c.charCodeAt(0).toString(16)}`)}/channels`
    const unsigned = await fetch(`${base}${encoded}`)
    assert.equal(unsigned.status, 401)
  })
})
