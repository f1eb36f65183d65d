/**
 * The client process of ingest.ts: the official "pusher" SDK with a
 * keep-alive agent, CONCURRENCY requests in flight, for a fixed time.
 *
 * argv: <port> <mode: trigger|batch> <seconds>
 * IPC: -> {type:'done', requests, events, failed, elapsedMs}
 */
import { Agent } from 'node:http'
import Pusher from 'pusher'
import { APP } from './bench_app.ts'

const CONCURRENCY = 16
const [port, mode, seconds] = [process.argv[2], process.argv[3], Number(process.argv[4])]
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })
const pusher = new Pusher({ ...APP, host: '127.0.0.1', port, useTLS: false, agent })
const data = { id: 1, body: 'x'.repeat(170) }
const batch = Array.from({ length: 10 }, (_, i) => ({ channel: `ch-${i}`, name: 'bench', data }))

let requests = 0
let failed = 0
const send = () =>
  mode === 'batch'
    ? pusher.triggerBatch(batch)
    : pusher.trigger(`ch-${requests % 250}`, 'bench', data)

// Warm-up, then the measured window
const run = async (ms: number) => {
  const end = performance.now() + ms
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        try {
          await send()
        } catch {
          failed++
        }
        requests++
      }
    })
  )
}
await run(seconds >= 5 ? 1000 : 500)
requests = 0
failed = 0
const started = performance.now()
await run(seconds * 1000)
const elapsedMs = performance.now() - started
process.send!({
  type: 'done',
  requests,
  events: mode === 'batch' ? requests * batch.length : requests,
  failed,
  elapsedMs,
})
agent.destroy()
process.disconnect()
