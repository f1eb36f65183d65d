import PusherModule from 'pusher-js'
import PusherSdk from 'pusher'
import Echo from 'laravel-echo'
import { WebSocket } from 'ws'
import app from '@adonisjs/core/services/app'
import type { LocalDriver } from '../../src/drivers/local.ts'
import type { BroadcastService } from '../../src/extended_types.ts'

/**
 * Clients against the embedded server the functional suite attaches to the
 * example app (tests/bootstrap.ts). Authorization signs with the official
 * "pusher" SDK for now; swap "authorizer" for the app's auth route later.
 */

// pusher-js ships ESM-style typings for a CommonJS module
type PusherClient = import('pusher-js').default
const Pusher = PusherModule as unknown as typeof import('pusher-js').default

export const HOST = '127.0.0.1'
export const port = () => Number(process.env.PORT)

export async function broadcastService(): Promise<BroadcastService> {
  return app.container.make('broadcast')
}

/**
 * The app's "local" driver (the default connection in the example app)
 */
export async function localDriver(): Promise<LocalDriver> {
  const broadcast = await broadcastService()
  return broadcast.driver('local') as LocalDriver
}

/**
 * The "pusher" SDK pointed at the app's own port
 */
export async function sdk(overrides: { secret?: string } = {}) {
  const { appId, key, secret } = (await localDriver()).credentials
  return new PusherSdk({
    appId,
    key,
    secret: overrides.secret ?? secret,
    host: HOST,
    port: String(port()),
    useTLS: false,
  })
}

export type ChannelAuth = { auth: string; channel_data?: string }
export type Authorizer = (socketId: string, channel: string) => Promise<ChannelAuth>

/**
 * Signs like a real auth endpoint would, with the app's credentials. A
 * presence member comes from "member" (channel -> member).
 */
export async function sdkAuthorizer(member?: {
  user_id: string | number
  user_info?: Record<string, unknown>
}): Promise<Authorizer> {
  const signer = await sdk()
  return async (socketId, channel) =>
    signer.authorizeChannel(
      socketId,
      channel,
      channel.startsWith('presence-') ? (member as any) : undefined
    ) as ChannelAuth
}

/**
 * Every client a test opens, disconnected in teardown
 */
export class Clients {
  #pushers: PusherClient[] = []
  #echos: Echo<any>[] = []
  #sockets: WebSocket[] = []

  async pusher(
    options: {
      authorizer?: Authorizer
      userAuth?: (socketId: string) => Promise<{ auth: string; user_data: string }>
      key?: string
    } = {}
  ) {
    const { key } = (await localDriver()).credentials
    const authorizer = options.authorizer ?? (await sdkAuthorizer())
    const client = new Pusher(options.key ?? key, {
      cluster: '',
      wsHost: HOST,
      wsPort: port(),
      forceTLS: false,
      enabledTransports: ['ws'],
      channelAuthorization: {
        customHandler: ({ socketId, channelName }: any, callback: any) => {
          authorizer(socketId, channelName).then(
            (auth) => callback(null, auth),
            (error) => callback(error, null)
          )
        },
      } as any,
      userAuthentication: {
        customHandler: ({ socketId }: any, callback: any) => {
          if (!options.userAuth) return callback(new Error('no user auth'), null)
          options.userAuth(socketId).then(
            (auth) => callback(null, auth),
            (error) => callback(error, null)
          )
        },
      } as any,
    })
    this.#pushers.push(client)
    return client
  }

  /**
   * An Echo client of the app's server, or of the embedded server on "port"
   */
  async echo(authorizer?: Authorizer, options: { port?: number } = {}) {
    const { key } = (await localDriver()).credentials
    const authorize = authorizer ?? (await sdkAuthorizer())
    const echo = new Echo({
      broadcaster: 'reverb',
      key,
      wsHost: HOST,
      wsPort: options.port ?? port(),
      forceTLS: false,
      enabledTransports: ['ws'],
      Pusher,
      channelAuthorization: {
        customHandler: ({ socketId, channelName }: any, callback: any) => {
          authorize(socketId, channelName).then(
            (auth) => callback(null, auth),
            (error) => callback(error, null)
          )
        },
      },
    } as any)
    this.#echos.push(echo)
    return echo
  }

  /**
   * A plain WebSocket speaking the protocol by hand, recording frames
   */
  async raw(path?: string) {
    const { key } = (await localDriver()).credentials
    const ws = new WebSocket(`ws://${HOST}:${port()}${path ?? `/app/${key}?protocol=7`}`)
    this.#sockets.push(ws)
    return RawClient.open(ws)
  }

  async closeAll() {
    for (const echo of this.#echos) echo.disconnect()
    for (const client of this.#pushers) client.disconnect()
    for (const ws of this.#sockets) ws.terminate()
    this.#echos = []
    this.#pushers = []
    this.#sockets = []
    // Let the server process the closes before the next test counts sockets
    await sleep(50)
  }
}

export type Frame = { event: string; channel?: string; data?: any; user_id?: string }

/**
 * Frames received by a raw socket, "data" decoded from its JSON string
 */
export class RawClient {
  readonly frames: Frame[] = []
  socketId = ''
  closeCode?: number
  #waiters: Array<{ match: (frame: Frame) => boolean; resolve: (frame: Frame) => void }> = []

  constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as Frame
      if (typeof frame.data === 'string') {
        try {
          frame.data = JSON.parse(frame.data)
        } catch {}
      }
      this.frames.push(frame)
      this.#waiters = this.#waiters.filter((waiter) => {
        if (!waiter.match(frame)) return true
        waiter.resolve(frame)
        return false
      })
    })
    ws.on('close', (code) => (this.closeCode = code))
  }

  static async open(ws: WebSocket) {
    const client = new RawClient(ws)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    const established = await client.next((frame) => frame.event !== '')
    if (established.event === 'pusher:connection_established') {
      client.socketId = established.data.socket_id
    }
    return client
  }

  send(frame: unknown) {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  }

  /**
   * The next frame matching, including ones already received
   */
  next(match: (frame: Frame) => boolean, timeoutMs = 2000): Promise<Frame> {
    const seen = this.frames.find(match)
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a frame')), timeoutMs)
      this.#waiters.push({
        match,
        resolve: (frame) => {
          clearTimeout(timer)
          resolve(frame)
        },
      })
    })
  }

  closed(timeoutMs = 2000): Promise<number> {
    if (this.closeCode !== undefined) return Promise.resolve(this.closeCode)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('socket not closed')), timeoutMs)
      this.ws.once('close', (code) => {
        clearTimeout(timer)
        resolve(code)
      })
    })
  }

  of(event: string, channel?: string) {
    return this.frames.filter(
      (f) => f.event === event && (channel === undefined || f.channel === channel)
    )
  }
}

/**
 * Resolves with the socket id once a pusher-js client is connected
 */
export function connected(client: PusherClient): Promise<string> {
  if (client.connection.state === 'connected') return Promise.resolve(client.connection.socket_id)
  return within(
    new Promise((resolve) =>
      client.connection.bind('connected', () => resolve(client.connection.socket_id))
    ),
    'connect'
  )
}

/**
 * Resolves with the first emission of an event on a bindable (channel,
 * connection, user)
 */
export function once<T = any>(
  target: { bind(event: string, cb: (data: any, meta?: any) => void): unknown },
  event: string,
  timeoutMs = 2000
): Promise<T> {
  return within(
    new Promise((resolve) => target.bind(event, (data: T) => resolve(data))),
    event,
    timeoutMs
  )
}

export function within<T>(promise: Promise<T>, what: string, timeoutMs = 2000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error) => {
        clearTimeout(timer)
        reject(error)
      }
    )
  })
}

export function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
