/**
 * Publishes the bench event through the Pusher HTTP API, "POST
 * /apps/<id>/events", as a backend does: the same client for every server
 * behind that API (soketi, ours). A raw request signed as the "pusher" SDK
 * signs it (auth_key, auth_timestamp, auth_version 1.0, body_md5, HMAC
 * SHA256), without the SDK's promise and validation layers: less client
 * CPU in the benchmark's process, which also runs the pacing.
 */
import { createHash, createHmac } from 'node:crypto'
import { Agent, request } from 'node:http'
import { APP, CHANNEL, EVENT, payloadFor } from './bench_app.ts'

/** Resolves once the server has answered 200, as the SDK's "trigger" does */
export function httpApiPublisher(port: number, maxSockets = 64) {
  // Keep-alive with enough sockets for every request of a burst at once
  const agent = new Agent({ keepAlive: true, maxSockets })
  const path = `/apps/${APP.appId}/events`
  const send = (id: number, t: number, retry: boolean) =>
    new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({
        name: EVENT,
        channels: [CHANNEL],
        data: JSON.stringify(payloadFor(id, t)),
      })
      const query = `auth_key=${APP.key}&auth_timestamp=${Math.floor(Date.now() / 1000)}&auth_version=1.0&body_md5=${createHash('md5').update(body).digest('hex')}`
      const signature = createHmac('sha256', APP.secret)
        .update(`POST\n${path}\n${query}`)
        .digest('hex')
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: `${path}?${query}&auth_signature=${signature}`,
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (chunk) => (text += chunk))
          res.on('end', () =>
            res.statusCode === 200
              ? resolve()
              : reject(new Error(`POST ${path}: ${res.statusCode} ${text.slice(0, 200)}`))
          )
        }
      )
      req.once('error', (error: NodeJS.ErrnoException) => {
        // A kept-alive socket the server closed as it was reused (Node's
        // docs: retry such a request once)
        if (retry && req.reusedSocket && error.code === 'ECONNRESET') {
          send(id, t, false).then(resolve, reject)
        } else reject(error)
      })
      req.end(body)
    })
  return { publish: (id: number, t: number) => send(id, t, true), close: () => agent.destroy() }
}
