import { test } from '@japa/runner'
import PusherSdk from 'pusher'
import { LocalDriver } from '../../../src/drivers/local.ts'
import { MAX_CHANNEL_NAME_LENGTH } from '../../../packages/engine/src/channel_name.ts'
import { sleep } from '../../helpers/server_clients.ts'
import { encryptingSdk, newMasterKey, wireTap } from '../../helpers/encrypted_wire.ts'

const APP = { appId: 'enc-api', key: 'enc-api-key', secret: 'enc-api-secret' }
const CHANNEL = 'private-encrypted-notes'

/**
 * The embedded server, a raw subscriber of CHANNEL, and two SDKs: one
 * without a master key, sending what it is given as it is (its "post"), and
 * one that encrypts
 */
async function setup(cleanup: (fn: () => Promise<void> | void) => void) {
  const masterKey = newMasterKey()
  const driver = new LocalDriver({ ...APP, encryptionMasterKeyBase64: masterKey })
  const { port } = await driver.listen(0, '127.0.0.1')
  cleanup(() => driver.close())
  const encrypting = encryptingSdk(APP, masterKey, port)
  const plain = new PusherSdk({ ...APP, host: '127.0.0.1', port: String(port), useTLS: false })
  const tap = await wireTap(port, APP.key, CHANNEL, encrypting)
  cleanup(() => tap.client.ws.terminate())
  /**
   * A body posted as it is: the status and the reason answered
   */
  const post = async (path: string, body: object) => {
    try {
      // The SDK serializes the body itself, whatever its typings say
      const response = await plain.post({ path, body: body as unknown as string })
      return { status: response.status, body: await response.text() }
    } catch (error: any) {
      return { status: error.status as number, body: reasonOf(String(error.body)) }
    }
  }
  return { driver, port, encrypting, tap, post }
}

/**
 * The "error" of a JSON answer, else the answer
 */
function reasonOf(body: string): string {
  try {
    return JSON.parse(body).error ?? body
  } catch {
    return body
  }
}

const SEALED = JSON.stringify({ nonce: 'bm9uY2U=', ciphertext: 'Y2lwaGVy' })

test.group('Encrypted channels | the HTTP API refuses plaintext', () => {
  test('plaintext to an encrypted channel: 400 with the reason, nothing relayed', async ({
    assert,
    cleanup,
  }) => {
    const { tap, post } = await setup(cleanup)
    const refused = [
      '{"text":"hello"}',
      'hello',
      '["nonce","ciphertext"]',
      '{"nonce":"bm9uY2U="}',
      '{"nonce":1,"ciphertext":"Y2lwaGVy"}',
      '{"nonce":"","ciphertext":""}',
    ]
    for (const data of refused) {
      const answer = await post('/events', { name: 'Note', data, channels: [CHANNEL] })
      assert.equal(answer.status, 400, data)
      assert.include(answer.body, `"${CHANNEL}" is an encrypted channel`)
      assert.include(answer.body, '{"nonce", "ciphertext"}')
    }
    await sleep(100)
    assert.lengthOf(tap.client.of('Note'), 0)
  })

  test('a batch with one plaintext item to an encrypted channel sends nothing', async ({
    assert,
    cleanup,
  }) => {
    const { tap, post } = await setup(cleanup)
    const answer = await post('/batch_events', {
      batch: [
        { channel: CHANNEL, name: 'Note', data: SEALED },
        { channel: CHANNEL, name: 'Note', data: '{"text":"hello"}' },
      ],
    })
    assert.equal(answer.status, 400)
    assert.include(answer.body, 'is an encrypted channel')
    await sleep(100)
    assert.lengthOf(tap.client.of('Note'), 0)
  })

  test('one event to an encrypted channel and another: 400, each has its own key', async ({
    assert,
    cleanup,
  }) => {
    const { tap, post } = await setup(cleanup)
    const answer = await post('/events', {
      name: 'Note',
      data: SEALED,
      channels: [CHANNEL, 'news'],
    })
    assert.equal(answer.status, 400)
    assert.include(answer.body, 'must go to that channel alone')
    await sleep(100)
    assert.lengthOf(tap.client.of('Note'), 0)
  })

  test('what the SDK encrypts is relayed as it was sent', async ({ assert, cleanup }) => {
    const { tap, encrypting } = await setup(cleanup)
    await encrypting.trigger(CHANNEL, 'Note', { text: 'hello' })
    const frame = await tap.client.next((f) => f.event === 'Note')
    assert.sameMembers(Object.keys(frame.data), ['nonce', 'ciphertext'])
    assert.notInclude(JSON.stringify(frame), 'hello')
  })
})

test.group('Encrypted channels | hostile input to the HTTP API', () => {
  test('a huge fake ciphertext is refused by the size limit, and the server goes on', async ({
    assert,
    cleanup,
  }) => {
    const { driver, tap, post, encrypting } = await setup(cleanup)
    const huge = JSON.stringify({ nonce: 'bm9uY2U=', ciphertext: 'A'.repeat(1_000_000) })
    const answer = await post('/events', { name: 'Note', data: huge, channels: [CHANNEL] })
    assert.equal(answer.status, 413)
    const over = JSON.stringify({
      nonce: 'bm9uY2U=',
      ciphertext: 'A'.repeat(driver.server.limits.maxEventBytes),
    })
    assert.equal(
      (await post('/events', { name: 'Note', data: over, channels: [CHANNEL] })).status,
      413
    )

    // A well-formed fake under the limit is relayed: the server holds no key to tell
    const fake = JSON.stringify({ nonce: 'bm9uY2U=', ciphertext: 'A'.repeat(4000) })
    assert.equal(
      (await post('/events', { name: 'Fake', data: fake, channels: [CHANNEL] })).status,
      200
    )
    await tap.client.next((f) => f.event === 'Fake')

    await encrypting.trigger(CHANNEL, 'Note', { text: 'still up' })
    await tap.client.next((f) => f.event === 'Note')
  })

  test('an encrypted channel name at the length limit works, one over is a 400', async ({
    assert,
    cleanup,
  }) => {
    const { port, encrypting, post } = await setup(cleanup)
    const longest = 'private-encrypted-'.padEnd(MAX_CHANNEL_NAME_LENGTH, 'x')
    const tap = await wireTap(port, APP.key, longest, encrypting)
    cleanup(() => tap.client.ws.terminate())
    await encrypting.trigger(longest, 'Note', { text: 'long' })
    await tap.client.next((f) => f.event === 'Note')

    const over = `${longest}x`
    const answer = await post('/events', { name: 'Note', data: SEALED, channels: [over] })
    assert.equal(answer.status, 400)
    assert.include(answer.body, `the limit is ${MAX_CHANNEL_NAME_LENGTH}`)
  })
})
