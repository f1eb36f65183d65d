import { setTimeout as sleep } from 'node:timers/promises'
import Pusher from 'pusher'

interface Credentials {
  appId: string
  key: string
  secret: string
}

/**
 * The next message of the socket with the given event name
 */
function nextEvent(ws: WebSocket, event: string, timeoutMs = 10_000) {
  return new Promise<{ event: string; data?: unknown }>((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`no "${event}" within ${timeoutMs} ms`)),
      timeoutMs
    )
    const onMessage = (message: MessageEvent) => {
      const frame = JSON.parse(String(message.data))
      if (frame.event === event) done(undefined, frame)
    }
    const onClose = ({ code, reason }: CloseEvent) =>
      done(new Error(`socket closed (${code} ${reason}) while waiting for "${event}"`))
    function done(error?: Error, frame?: { event: string }) {
      clearTimeout(timer)
      ws.removeEventListener('message', onMessage)
      ws.removeEventListener('close', onClose)
      if (error) reject(error)
      else resolve(frame!)
    }
    ws.addEventListener('message', onMessage)
    ws.addEventListener('close', onClose)
  })
}

/**
 * A socket the server has accepted. The HTTP server answers before the
 * app is ready, and the embedded server attaches once it is: until then
 * an upgrade is refused, so connecting is retried for a while.
 */
async function connect(url: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ws = new WebSocket(url)
    try {
      await nextEvent(ws, 'pusher:connection_established')
      return ws
    } catch (error) {
      ws.close()
      if (Date.now() > deadline) throw error
      await sleep(200)
    }
  }
}

/**
 * A client of the app's embedded server subscribes to a public channel,
 * and an event triggered through its Pusher HTTP API (as the "pusher"
 * package does) reaches it
 */
export async function exchangeEvent(port: number, credentials: Credentials) {
  const ws = await connect(`ws://127.0.0.1:${port}/app/${credentials.key}?protocol=7`)
  try {
    ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'pack-check' } }))
    await nextEvent(ws, 'pusher_internal:subscription_succeeded')

    const received = nextEvent(ws, 'checked')
    const pusher = new Pusher({ ...credentials, host: '127.0.0.1', port: String(port) })
    await pusher.trigger('pack-check', 'checked', { ok: true })
    await received
  } finally {
    ws.close()
  }
}
