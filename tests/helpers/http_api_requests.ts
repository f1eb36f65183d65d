import { request } from 'node:http'
import { createHash, createHmac } from 'node:crypto'

/**
 * Raw "node:http" requests to the Pusher HTTP API, for what the SDK never
 * sends: bodies that stall, lie about their size, or come unsigned
 */

export type Credentials = { key: string; secret: string }

/**
 * The query string of a request signed as the "pusher" SDK signs it.
 * "body" is what the body_md5 covers, sent or not.
 */
export function signedQuery(
  { key, secret }: Credentials,
  method: string,
  path: string,
  body = '',
  timestamp = Math.floor(Date.now() / 1000)
) {
  const params: Record<string, string> = {
    auth_key: key,
    auth_timestamp: String(timestamp),
    auth_version: '1.0',
  }
  if (body) params.body_md5 = createHash('md5').update(body).digest('hex')
  const query = Object.keys(params)
    .sort()
    .map((name) => `${name}=${params[name]}`)
    .join('&')
  const signature = createHmac('sha256', secret)
    .update(`${method}\n${path}\n${query}`)
    .digest('hex')
  return `${query}&auth_signature=${signature}`
}

export type Answer = { status: number; headers: Record<string, unknown>; body: any; at: number }

/**
 * A POST that announces "contentLength" bytes, sends "sent" of them and
 * never ends, as a stalled upload does. On its own connection (no agent).
 */
export function stalledUpload(
  port: number,
  pathAndQuery: string,
  contentLength: number,
  sent = ''
) {
  const startedAt = Date.now()
  const req = request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: pathAndQuery,
    agent: false,
    headers: { 'content-type': 'application/json', 'content-length': String(contentLength) },
  })
  // The server may close the connection while this side still writes
  req.on('error', () => {})
  req.flushHeaders()
  if (sent) req.write(sent)

  const answer = new Promise<Answer>((resolve) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk) => chunks.push(chunk))
      res.on('error', () => {})
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let body: unknown = text
        try {
          body = JSON.parse(text)
        } catch {}
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          at: Date.now() - startedAt,
        })
      })
    })
  })
  const closed = new Promise<number>((resolve) => {
    req.on('socket', (socket) => socket.once('close', () => resolve(Date.now() - startedAt)))
  })
  return {
    req,
    answer,
    closed,
    abort: () => {
      req.destroy()
    },
  }
}
