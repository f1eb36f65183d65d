import { test } from '@japa/runner'
import {
  Clients,
  HOST,
  localDriver,
  port,
  sdk,
  sdkAuthorizer,
  sleep,
} from '../../helpers/server_clients.ts'
import { signedQuery } from '../../helpers/http_api_requests.ts'

/**
 * A request signed by hand, to vary the timestamp
 */
async function signedRequest(method: string, path: string, body: string, timestamp: number) {
  const query = signedQuery((await localDriver()).credentials, method, path, body, timestamp)
  return fetch(`http://${HOST}:${port()}${path}?${query}`, {
    method,
    body: body || undefined,
    headers: body ? { 'content-type': 'application/json' } : {},
  })
}

test.group('Embedded server | Pusher HTTP API', (group) => {
  const clients = new Clients()
  group.each.teardown(() => clients.closeAll())

  test('the pusher SDK triggers into the API and clients receive it', async ({ assert }) => {
    const raw = await clients.raw()
    raw.send({ event: 'pusher:subscribe', data: { channel: 'news', auth: '' } })
    await raw.next((f) => f.event === 'pusher_internal:subscription_succeeded')

    const api = await sdk()
    const response = await api.trigger('news', 'Headline', { title: 'Hello' })
    assert.equal(response.status, 200)
    assert.deepEqual(await response.json(), {})
    const frame = await raw.next((f) => f.event === 'Headline')
    assert.deepEqual(frame, { event: 'Headline', channel: 'news', data: { title: 'Hello' } })

    await api.triggerBatch([
      { channel: 'news', name: 'One', data: { n: 1 } },
      { channel: 'news', name: 'Two', data: { n: 2 } },
    ])
    await raw.next((f) => f.event === 'Two')
    assert.deepEqual(
      raw.frames.filter((f) => ['One', 'Two'].includes(f.event)).map((f) => f.data.n),
      [1, 2]
    )

    // socket_id excludes the sender
    await api.trigger('news', 'Excluded', {}, { socket_id: raw.socketId })
    await sleep(100)
    assert.lengthOf(raw.of('Excluded'), 0)
  })

  test('a wrong signature or a stale timestamp gets 401 and delivers nothing', async ({
    assert,
  }) => {
    const raw = await clients.raw()
    raw.send({ event: 'pusher:subscribe', data: { channel: 'news', auth: '' } })
    await raw.next((f) => f.event === 'pusher_internal:subscription_succeeded')

    const forger = await sdk({ secret: 'not-the-secret' })
    const error = await forger.trigger('news', 'Forged', {}).catch((e) => e)
    assert.equal(error.status, 401)

    const { appId } = (await localDriver()).credentials
    const body = JSON.stringify({ name: 'Stale', data: '{}', channels: ['news'] })
    const stale = await signedRequest(
      'POST',
      `/apps/${appId}/events`,
      body,
      Math.floor(Date.now() / 1000) - 601
    )
    assert.equal(stale.status, 401)
    assert.match(((await stale.json()) as { error: string }).error, /Timestamp expired/)

    const fresh = await signedRequest(
      'POST',
      `/apps/${appId}/events`,
      body,
      Math.floor(Date.now() / 1000)
    )
    assert.equal(fresh.status, 200)
    await raw.next((f) => f.event === 'Stale')
    assert.lengthOf(raw.of('Forged'), 0)
    assert.lengthOf(raw.of('Stale'), 1)
  })

  test('limits are answered with the codes Pusher uses', async ({ assert }) => {
    const { appId } = (await localDriver()).credentials
    const now = () => Math.floor(Date.now() / 1000)
    const post = (path: string, body: unknown) =>
      signedRequest('POST', `/apps/${appId}/${path}`, JSON.stringify(body), now())

    const big = await post('events', { name: 'Big', data: 'x'.repeat(10_241), channels: ['a'] })
    assert.equal(big.status, 413)
    const many = Array.from({ length: 101 }, (_, i) => `c${i}`)
    assert.equal((await post('events', { name: 'X', data: '{}', channels: many })).status, 400)
    const batch = Array.from({ length: 11 }, () => ({ name: 'X', data: '{}', channel: 'a' }))
    assert.equal((await post('batch_events', { batch })).status, 400)
    assert.equal(
      (await post('events', { name: 'X', data: '{}', channels: ['bad name!'] })).status,
      400
    )
    assert.equal((await post('events', { name: 'X', data: {}, channels: ['a'] })).status, 400)
    assert.equal((await signedRequest('GET', '/apps/other/channels', '', now())).status, 404)
  })

  test('GET /channels, /channels/<name> and /users report what is connected', async ({
    assert,
  }) => {
    const ada = await clients.pusher({
      authorizer: await sdkAuthorizer({ user_id: 'ada', user_info: {} }),
    })
    const bob = await clients.pusher({
      authorizer: await sdkAuthorizer({ user_id: 'bob', user_info: {} }),
    })
    const bob2 = await clients.pusher({
      authorizer: await sdkAuthorizer({ user_id: 'bob', user_info: {} }),
    })
    const joined = [ada, bob, bob2].map(
      (client) =>
        new Promise((resolve) =>
          client.subscribe('presence-lobby').bind('pusher:subscription_succeeded', resolve)
        )
    )
    const publicJoined = new Promise((resolve) =>
      ada.subscribe('stats').bind('pusher:subscription_succeeded', resolve)
    )
    await Promise.all([...joined, publicJoined])

    const api = await sdk()
    const channels = await (await api.get({ path: '/channels' })).json()
    assert.containsSubset(channels, { channels: { 'stats': {}, 'presence-lobby': {} } })

    const presence = await (
      await api.get({
        path: '/channels',
        params: { filter_by_prefix: 'presence-', info: 'user_count' },
      })
    ).json()
    assert.deepEqual(presence.channels['presence-lobby'], { user_count: 2 })

    const lobby = await (
      await api.get({
        path: '/channels/presence-lobby',
        params: { info: 'user_count,subscription_count' },
      })
    ).json()
    assert.deepEqual(lobby, { occupied: true, user_count: 2, subscription_count: 3 })

    const users = await (await api.get({ path: '/channels/presence-lobby/users' })).json()
    assert.sameDeepMembers(users.users, [{ id: 'ada' }, { id: 'bob' }])

    const empty = await (await api.get({ path: '/channels/nobody-here' })).json()
    assert.deepEqual(empty, { occupied: false })

    const notPresence = await api.get({ path: '/channels/stats/users' }).catch((e) => e)
    assert.equal(notPresence.status, 400)
  })

  test("terminate_connections closes the user's signed-in sockets only", async ({ assert }) => {
    const api = await sdk()
    const signIn = (id: string) => async (socketId: string) =>
      api.authenticateUser(socketId, { id }) as { auth: string; user_data: string }
    const target = await clients.raw()
    const bystander = await clients.raw()
    for (const [client, id] of [
      [target, 'u1'],
      [bystander, 'u2'],
    ] as const) {
      client.send({ event: 'pusher:signin', data: await signIn(id)(client.socketId) })
      await client.next((f) => f.event === 'pusher:signin_success')
    }

    const response = await api.terminateUserConnections('u1')
    assert.equal(response.status, 200)
    assert.equal(await target.closed(), 4009)
    await sleep(50)
    assert.isUndefined(bystander.closeCode)
  })
})
