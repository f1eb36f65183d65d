import { test } from '@japa/runner'
import { Router } from '../../../packages/engine/src/http_api/router.ts'
import { routes } from '../../../packages/engine/src/http_api/routes.ts'

test.group('Engine | HTTP API router', () => {
  test('each Pusher path finds its endpoint, its segments left undecoded', ({ assert }) => {
    const cases: [string, string, string, Record<string, string>][] = [
      ['POST', '/apps/1/events', 'events', { appId: '1' }],
      ['POST', '/apps/1/batch_events', 'batch_events', { appId: '1' }],
      ['GET', '/apps/1/channels', 'channels', { appId: '1' }],
      [
        'GET',
        '/apps/1/channels/presence-a%2Eb',
        'channel',
        { appId: '1', channel: 'presence-a%2Eb' },
      ],
      ['GET', '/apps/1/channels/users', 'channel', { appId: '1', channel: 'users' }],
      ['GET', '/apps/1/channels/c/users', 'channel_users', { appId: '1', channel: 'c' }],
      [
        'POST',
        '/apps/1/users/u%20/terminate_connections',
        'terminate_connections',
        { appId: '1', userId: 'u%20' },
      ],
    ]
    for (const [method, path, endpoint, params] of cases) {
      const match = routes.match(method, path)
      assert.equal(match?.endpoint, endpoint, path)
      assert.deepEqual(match?.params, params, path)
      assert.isFunction(match?.handler, path)
    }
  })

  test('a known path with another method has no handler (405); an unknown path no match', ({
    assert,
  }) => {
    const wrongMethod = routes.match('GET', '/apps/1/events')
    assert.equal(wrongMethod?.endpoint, 'events')
    assert.isUndefined(wrongMethod?.handler)

    for (const path of [
      '/apps/1/events/',
      '/apps//events',
      '/apps/1/channels//users',
      '/apps/1/a/events',
      '/apps/1',
      '/events',
      '',
    ]) {
      assert.isUndefined(routes.match('POST', path), path)
    }
  })

  test('the handler of the method wins over an earlier route of the same path', ({ assert }) => {
    const router = new Router<string>()
      .add('GET', '/things/:id', 'thing', 'read')
      .add('DELETE', '/things/:id', 'thing', 'remove')
    assert.deepEqual(router.match('DELETE', '/things/7'), {
      endpoint: 'thing',
      params: { id: '7' },
      handler: 'remove',
    })
    assert.deepEqual(router.match('PUT', '/things/7'), { endpoint: 'thing', params: { id: '7' } })
  })
})
