import { test } from '@japa/runner'
import { Watchers } from '../../../packages/engine/src/connection/watchers.ts'
import type { SocketConnection } from '../../../packages/engine/src/connection/socket_connection.ts'

/**
 * A socket that keeps what it is sent
 */
function fakeSocket() {
  const sent: any[] = []
  const socket = { closed: false, send: (frame: string) => sent.push(JSON.parse(frame)) }
  return { socket: socket as unknown as SocketConnection, sent }
}

const turn = () => new Promise((resolve) => setImmediate(resolve))

test.group('Watchers', () => {
  test('changes of one event-loop turn reach a socket in one frame, the last of a user winning', async ({
    assert,
  }) => {
    const watchers = new Watchers({})
    const { socket, sent } = fakeSocket()
    await watchers.watch(socket, ['a', 'b', 'c'])
    watchers.start(socket, new Map())
    watchers.changed('a', 'online')
    watchers.changed('b', 'online')
    watchers.changed('c', 'online')
    watchers.changed('c', 'offline')
    await turn()
    assert.lengthOf(sent, 1)
    assert.equal(sent[0].event, 'pusher_internal:watchlist_events')
    assert.deepEqual(JSON.parse(sent[0].data).events, [
      { name: 'online', user_ids: ['a', 'b'] },
      { name: 'offline', user_ids: ['c'] },
    ])
  })

  test('a change that arrives before the state at sign-in is sent wins over it, in the same frame', async ({
    assert,
  }) => {
    const watchers = new Watchers({})
    const { socket, sent } = fakeSocket()
    await watchers.watch(socket, ['a', 'b'])
    watchers.changed('a', 'online')
    await turn()
    assert.lengthOf(sent, 0)
    watchers.start(
      socket,
      new Map([
        ['a', false],
        ['b', false],
      ])
    )
    assert.lengthOf(sent, 1)
    assert.deepEqual(JSON.parse(sent[0].data).events, [
      { name: 'online', user_ids: ['a'] },
      { name: 'offline', user_ids: ['b'] },
    ])
  })

  test('holds the bus interest of a watched user while a socket watches them, once', async ({
    assert,
  }) => {
    const held: string[] = []
    const interest = {
      hold: (channel: string) => held.push(`+${channel}`),
      release: (channel: string) => held.push(`-${channel}`),
      ready: () => undefined,
    }
    const watchers = new Watchers({ interest })
    const one = fakeSocket().socket
    const two = fakeSocket().socket
    await watchers.watch(one, ['a'])
    await watchers.watch(two, ['a'])
    watchers.unwatch(one, ['a'])
    assert.deepEqual(held, ['+#online-a'])
    watchers.unwatch(two, ['a'])
    assert.deepEqual(held, ['+#online-a', '-#online-a'])
    assert.equal(watchers.size, 0)
  })
})
