import { once } from 'node:events'
import { test } from '@japa/runner'
import PusherSdk from 'pusher'
import { WebSocket } from 'ws'
import { EmbeddedServer, type LifecycleEvent } from '@adonisjs-broadcasting/engine'

/**
 * The engine alone, through its package entry: no AdonisJS app, no
 * container, no config file. A plain "ws" client speaks the Pusher protocol
 * and the official "pusher" SDK calls the HTTP API.
 */
const APP = { appId: 'engine', key: 'engine-key', secret: 'engine-secret' }
const HOST = '127.0.0.1'

interface Frame {
  event: string
  channel?: string
  data?: string
}

/**
 * A WebSocket client that keeps every frame, so a test can wait for one
 * that already arrived
 */
async function connect(port: number) {
  const ws = new WebSocket(`ws://${HOST}:${port}/app/${APP.key}?protocol=7`)
  const frames: Frame[] = []
  const waiters = new Set<() => void>()
  ws.on('message', (raw) => {
    frames.push(JSON.parse(raw.toString()))
    for (const wake of waiters) wake()
  })
  const next = (event: string, timeoutMs = 2000) =>
    new Promise<Frame>((resolve, reject) => {
      const check = () => {
        const index = frames.findIndex((frame) => frame.event === event)
        if (index === -1) return
        waiters.delete(check)
        clearTimeout(timer)
        resolve(frames.splice(index, 1)[0])
      }
      const timer = setTimeout(() => {
        waiters.delete(check)
        reject(new Error(`no "${event}" frame within ${timeoutMs} ms`))
      }, timeoutMs)
      waiters.add(check)
      check()
    })
  const established = await next('pusher:connection_established')
  const socketId: string = JSON.parse(established.data!).socket_id
  const send = (event: string, data: object) => ws.send(JSON.stringify({ event, data }))
  return { ws, socketId, next, send }
}

test.group('Engine | the server without AdonisJS', (group) => {
  let server: EmbeddedServer
  let port: number
  let events: LifecycleEvent[]

  group.each.setup(async () => {
    events = []
    server = new EmbeddedServer({ ...APP, leaveEventDelay: 0 })
    server.events.on('lifecycle', (event) => events.push(event))
    port = (await server.listen(0, HOST)).port
    return () => server.close()
  })

  test('a client subscribes and receives what is published', async ({ assert }) => {
    const client = await connect(port)
    client.send('pusher:subscribe', { channel: 'news' })
    await client.next('pusher_internal:subscription_succeeded')

    await server.publish(['news'], 'Released', JSON.stringify({ version: '2.0' }))
    const frame = await client.next('Released')
    assert.equal(frame.channel, 'news')
    assert.deepEqual(JSON.parse(frame.data!), { version: '2.0' })
    assert.deepInclude(events, { name: 'channel_occupied', channel: 'news' })
  })

  test('the official SDK publishes through the HTTP API, "socket_id" excluded', async ({
    assert,
  }) => {
    const sender = await connect(port)
    const other = await connect(port)
    for (const client of [sender, other]) {
      client.send('pusher:subscribe', { channel: 'news' })
      await client.next('pusher_internal:subscription_succeeded')
    }

    const sdk = new PusherSdk({ ...APP, host: HOST, port: String(port), useTLS: false })
    await sdk.trigger('news', 'Note', { text: 'hi' }, { socket_id: sender.socketId })

    assert.deepEqual(JSON.parse((await other.next('Note')).data!), { text: 'hi' })
    await assert.rejects(() => sender.next('Note', 200), /no "Note" frame/)
  })

  test('a private channel needs a signature made with the secret', async ({ assert }) => {
    const client = await connect(port)
    client.send('pusher:subscribe', { channel: 'private-room', auth: `${APP.key}:forged` })
    const refused = await client.next('pusher:subscription_error')
    assert.equal(refused.channel, 'private-room')

    const sdk = new PusherSdk({ ...APP, host: HOST, port: String(port), useTLS: false })
    const { auth } = sdk.authorizeChannel(client.socketId, 'private-room')
    client.send('pusher:subscribe', { channel: 'private-room', auth })
    await client.next('pusher_internal:subscription_succeeded')
  })

  test('close() tells clients to reconnect (4200) and stops serving', async ({ assert }) => {
    const client = await connect(port)
    const closed = once(client.ws, 'close')
    await server.close()
    const [code] = await closed
    assert.equal(code, 4200)
    assert.isFalse(server.serving)
  })
})
