/**
 * One user floods a presence channel (issue 9, finding 6): 150 sockets of
 * the same user each send the allowed 10 client events per second for a
 * few seconds, next to one other member. Prints the frames the server
 * delivered per second with the per-user limits off (as before) and with
 * their defaults. Server and clients share this process, so compare the
 * two lines, not the absolute figures.
 *
 * npm run bench:user-flood
 */
import { WebSocket } from 'ws'
import Pusher from 'pusher'
import { EmbeddedServer, type ServerLimits } from '@adonisjs-broadcasting/engine'

const SOCKETS = 150
const PER_SECOND = 10
const SECONDS = 3
const CHANNEL = 'presence-flood'

async function run(label: string, limits: Partial<ServerLimits>) {
  const server = new EmbeddedServer({
    appId: 'b',
    key: 'bk',
    secret: 'bs',
    limits,
    clientEventsAllowed: () => true,
  })
  const { port } = await server.listen(0, '127.0.0.1')
  const signer = new Pusher({ appId: 'b', key: 'bk', secret: 'bs', cluster: 'mt1' })
  let delivered = 0

  const join = (userId: string) =>
    new Promise<{ ws: WebSocket; joined: boolean }>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/app/bk`)
      ws.on('message', (raw) => {
        const frame = JSON.parse(raw.toString())
        if (frame.event === 'pusher:connection_established') {
          const { socket_id: socketId } = JSON.parse(frame.data)
          const auth = signer.authorizeChannel(socketId, CHANNEL, { user_id: userId })
          ws.send(
            JSON.stringify({ event: 'pusher:subscribe', data: { channel: CHANNEL, ...auth } })
          )
        } else if (frame.event === 'pusher_internal:subscription_succeeded') {
          resolve({ ws, joined: true })
        } else if (frame.event === 'pusher:subscription_error') {
          resolve({ ws, joined: false })
        } else if (frame.event === 'client-flood') {
          delivered++
        }
      })
    })

  const observer = await join('observer')
  const flood = await Promise.all(Array.from({ length: SOCKETS }, () => join('flooder')))
  const joined = flood.filter((socket) => socket.joined)

  delivered = 0
  const started = performance.now()
  for (let second = 0; second < SECONDS; second++) {
    for (let n = 0; n < PER_SECOND; n++) {
      for (const { ws } of joined) {
        ws.send(JSON.stringify({ event: 'client-flood', channel: CHANNEL, data: { n } }))
      }
      await new Promise((resolve) => setTimeout(resolve, 1000 / PER_SECOND))
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 500))
  const elapsed = (performance.now() - started) / 1000

  console.log(
    `${label}: ${joined.length}/${SOCKETS} sockets joined, ${Math.round(delivered / elapsed)} frames/s delivered`
  )
  for (const { ws } of [observer, ...flood]) ws.terminate()
  await server.close()
}

await run('per-user limits off', {
  maxSocketsPerUserPerChannel: 0,
  clientEventsPerUserPerSecond: 0,
})
await run('per-user limits at their defaults', {})
