/**
 * One client re-subscribing in a loop, next to viewers of the same
 * channels: what does each viewer receive? A guest churns a public
 * channel with "subscriptionCount" on (each pair settles before the next,
 * so every pair is a real change), then a member churns a presence
 * channel reusing one auth. Prints frames per viewer per second and the
 * churn pairs per second the server took, with the subscribe rate limit
 * off and at its default, and the frames per viewer per churn pair (1 per
 * pair for the count, 2 for the members, when nothing is coalesced or
 * held). Server and clients share this process: compare lines of one
 * run, not absolute figures.
 *
 * npm run bench:churn
 */
import { WebSocket } from 'ws'
import Pusher from 'pusher'
import { EmbeddedServer, type ServerLimits } from '@adonisjs-broadcasting/engine'

const VIEWERS = 20
const SECONDS = 3
const PUBLIC = 'live'
const PRESENCE = 'presence-team'

const signer = new Pusher({ appId: 'b', key: 'bk', secret: 'bs', cluster: 'mt1' })

/**
 * A raw client: its socket id, and a count of frames by event
 */
async function open(port: number) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/app/bk`)
  const counts = new Map<string, number>()
  let waiter: ((frame: any) => void) | undefined
  const socketId = await new Promise<string>((resolve) => {
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString())
      counts.set(frame.event, (counts.get(frame.event) ?? 0) + 1)
      if (frame.event === 'pusher:connection_established') resolve(JSON.parse(frame.data).socket_id)
      waiter?.(frame)
    })
  })
  /**
   * Subscribes and waits for the answer (succeeded or refused)
   */
  const subscribe = (channel: string, extra: object = {}) =>
    new Promise<boolean>((resolve) => {
      waiter = (frame) => {
        if (frame.channel !== channel) return
        if (frame.event === 'pusher_internal:subscription_succeeded') resolve(true)
        if (frame.event === 'pusher:subscription_error') resolve(false)
      }
      ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel, ...extra } }))
    })
  const unsubscribe = (channel: string) =>
    ws.send(JSON.stringify({ event: 'pusher:unsubscribe', data: { channel } }))
  return { ws, socketId, counts, subscribe, unsubscribe }
}

type Client = Awaited<ReturnType<typeof open>>

const member = (client: Client, userId: string) =>
  signer.authorizeChannel(client.socketId, PRESENCE, { user_id: userId })

/**
 * Churns for SECONDS; the pairs per second the server took
 */
async function churn(pair: () => Promise<boolean>) {
  let taken = 0
  const started = performance.now()
  while (performance.now() - started < SECONDS * 1000) {
    if (await pair()) taken++
    else await new Promise((resolve) => setTimeout(resolve, 5))
  }
  return taken / SECONDS
}

function perViewer(viewers: Client[], events: string[]) {
  let total = 0
  for (const viewer of viewers) for (const event of events) total += viewer.counts.get(event) ?? 0
  return total / viewers.length / SECONDS
}

async function run(label: string, limits: Partial<ServerLimits>) {
  const server = new EmbeddedServer({
    appId: 'b',
    key: 'bk',
    secret: 'bs',
    limits,
    subscriptionCount: true,
  })
  const { port } = await server.listen(0, '127.0.0.1')
  const viewers: Client[] = []
  for (let i = 0; i < VIEWERS; i++) {
    const viewer = await open(port)
    await viewer.subscribe(PUBLIC)
    await viewer.subscribe(PRESENCE, member(viewer, `viewer-${i}`))
    viewers.push(viewer)
  }
  await new Promise((resolve) => setTimeout(resolve, 1200))
  for (const viewer of viewers) viewer.counts.clear()

  const guest = await open(port)
  const publicPairs = await churn(async () => {
    const joined = await guest.subscribe(PUBLIC)
    if (joined) guest.unsubscribe(PUBLIC)
    return joined
  })
  await new Promise((resolve) => setTimeout(resolve, 1200))
  const counts = perViewer(viewers, ['pusher_internal:subscription_count'])
  for (const viewer of viewers) viewer.counts.clear()

  const churner = await open(port)
  const auth = member(churner, 'churner')
  await churner.subscribe(PRESENCE, auth)
  const presencePairs = await churn(async () => {
    churner.unsubscribe(PRESENCE)
    return churner.subscribe(PRESENCE, auth)
  })
  await new Promise((resolve) => setTimeout(resolve, 200))
  const members = perViewer(viewers, [
    'pusher_internal:member_added',
    'pusher_internal:member_removed',
  ])

  const perPair = (frames: number, pairs: number) => (frames / Math.max(pairs, 1)).toFixed(4)
  console.log(
    `${label}:\n` +
      `  public churn ${Math.round(publicPairs)} pairs/s -> ${counts.toFixed(1)} subscription_count frames/s per viewer (${perPair(counts, publicPairs)} per pair)\n` +
      `  presence churn ${Math.round(presencePairs)} pairs/s -> ${members.toFixed(1)} member frames/s per viewer (${perPair(members, presencePairs)} per pair)`
  )
  for (const client of [...viewers, guest, churner]) client.ws.terminate()
  await server.close()
}

await run('subscribe rate limit off', { subscriptionsPerSecond: 0 })
await run('subscribe rate limit at its default', {})
