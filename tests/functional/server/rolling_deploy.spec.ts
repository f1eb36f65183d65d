import { performance } from 'node:perf_hooks'
import { test } from '@japa/runner'
import PusherModule from 'pusher-js'
import PusherSdk from 'pusher'
import env from '#start/env'
import { prepareExampleDatabase, startAppProcess } from '../../helpers/app_process.ts'
import { AppSession } from '../../helpers/app_session.ts'
import { docsNginxExample, startNginx } from '../../helpers/nginx.ts'
import { startRedisServer, type RedisTestServer } from '../../helpers/redis_server.ts'
import { sleep, within } from '../../helpers/server_clients.ts'

// pusher-js ships ESM-style typings for a CommonJS module
const Pusher = PusherModule as unknown as typeof import('pusher-js').default
type PusherClient = import('pusher-js').default

const CREDENTIALS = {
  appId: env.get('PUSHER_APP_ID'),
  key: env.get('PUSHER_APP_KEY'),
  secret: env.get('PUSHER_APP_SECRET').release(),
}

/**
 * The numbered events go to AdminUserAlert's channel: POST /alerts emits
 * there ("broadcast.emit" on whichever node nginx picked) and the HTTP API
 * publishes there too
 */
const FEED = 'private-admins'
const ROOM = 'presence-deploy'
/**
 * The example app's leaveEventDelay (the default, 3 s)
 */
const LEAVE_DELAY_MS = 3000
/**
 * An event counts for a subscription when its publish started after the
 * client saw subscription_succeeded and was answered this long before the
 * client saw its socket close (the close frame and the event race)
 */
const IN_FLIGHT_MS = 250
/**
 * Every client of a stopped node is subscribed again within this of the
 * SIGTERM
 */
const RECONNECT_BOUND_MS = 3000
const CLIENTS = 9
/**
 * nginx's defaults (max_fails=1 fail_timeout=10s): a node whose port
 * refused a connection gets no traffic for 10 s, so the next node is
 * stopped only once the restarted one is back in the rotation
 */
const NGINX_FAIL_TIMEOUT_MS = 10_000
const now = () => performance.now()

/**
 * The example app as an OS process in Redis mode: "start" runs it (again)
 * on its own port, "stop" sends SIGTERM and waits for the exit
 */
class AppNode {
  process?: Awaited<ReturnType<typeof startAppProcess>>
  /**
   * A free port at the first start, the same one afterwards
   */
  port?: number

  constructor(readonly redis: RedisTestServer) {}

  async start() {
    this.process = await startAppProcess(
      ['--import=@poppinss/ts-exec', 'bin/server.ts'],
      {
        LOG_LEVEL: 'warn',
        BROADCAST_ADAPTER: 'redis',
        BROADCAST_QUEUE: '',
        SESSION_DRIVER: 'cookie',
        REDIS_HOST: '127.0.0.1',
        REDIS_PORT: String(this.redis.port),
        REDIS_PASSWORD: '',
      },
      { port: this.port }
    )
    this.port = this.process.port
    return this
  }

  get sdk() {
    return new PusherSdk({ ...CREDENTIALS, host: '127.0.0.1', port: String(this.port) })
  }

  /**
   * This node's open sockets, from the details of GET /health (admitted:
   * the test is on this machine and not behind the proxy)
   */
  async connections(): Promise<number> {
    const report = (await (await fetch(`http://127.0.0.1:${this.port}/health`)).json()) as {
      checks: Array<{ meta?: { server?: { connections: number } } }>
    }
    return report.checks.find((check) => check.meta?.server)!.meta!.server!.connections
  }

  async users(channel: string) {
    const response = await this.sdk.get({ path: `/channels/${channel}/users` })
    const body = (await response.json()) as { users: Array<{ id: string }> }
    return body.users.map((user) => user.id).sort()
  }

  async subscriptionCount(channel: string) {
    const response = await this.sdk.get({
      path: `/channels/${channel}`,
      params: { info: 'subscription_count' },
    })
    return ((await response.json()) as { subscription_count: number }).subscription_count
  }

  /**
   * SIGTERM; resolves with the time until the process exited and what
   * GET /health/ready answered while it drained
   */
  async stop() {
    const started = now()
    const exited = this.process!.stop()
    await sleep(200)
    const readiness = await fetch(`http://127.0.0.1:${this.port}/health/ready`).then(
      (response) => response.status,
      (error) => String(error)
    )
    await exited
    return { exitMs: now() - started, readiness }
  }
}

interface Connection {
  socketId: string
  at: number
  closedAt?: number
  /**
   * Close codes pusher-js reported for this socket
   */
  codes: number[]
}

/**
 * A pusher-js client through the proxy, subscribed to the feed and the
 * presence room, recording what a rolling deploy does to it: its sockets
 * and their close codes, the intervals it was subscribed to the feed, the
 * numbered events it got, and the presence changes it saw
 */
class DeployClient {
  readonly pusher: PusherClient
  readonly connections: Connection[] = []
  readonly feedIntervals: Array<{ from: number; to?: number }> = []
  readonly received = new Map<number, number>()
  readonly removed: string[] = []
  /**
   * When the client was subscribed to both channels again, after each
   * connect
   */
  readonly readyAt: number[] = []
  left = false
  onCode?: (code: number) => void
  #feed: any
  #room: any
  #subscribed = new Set<string>()

  constructor(
    readonly name: string,
    readonly userId: string,
    port: number,
    signer: PusherSdk
  ) {
    this.pusher = new Pusher(CREDENTIALS.key, {
      cluster: '',
      wsHost: '127.0.0.1',
      wsPort: port,
      forceTLS: false,
      enabledTransports: ['ws'],
      channelAuthorization: {
        customHandler: ({ socketId, channelName }: any, callback: any) => {
          const member = channelName.startsWith('presence-')
            ? { user_id: userId, user_info: { name: name } }
            : undefined
          callback(null, signer.authorizeChannel(socketId, channelName, member as any))
        },
      } as any,
    })
    const connection = this.pusher.connection
    connection.bind('state_change', ({ previous, current }: any) => {
      if (current === 'connected') {
        this.connections.push({ socketId: connection.socket_id, at: now(), codes: [] })
      } else if (previous === 'connected') {
        this.#closed()
      }
    })
    connection.bind('error', (error: any) => {
      const code = error?.data?.code ?? error?.error?.data?.code
      if (typeof code !== 'number') return
      const last = this.connections.at(-1)
      if (last && !last.codes.includes(code)) last.codes.push(code)
      this.onCode?.(code)
    })

    this.#feed = this.pusher.subscribe(FEED)
    this.#feed.bind('pusher:subscription_succeeded', () => {
      this.feedIntervals.push({ from: now() })
      this.#succeeded(FEED)
    })
    this.#feed.bind('Tick', (data: { n: number }) => this.#got(data.n))
    this.#feed.bind('AdminUserAlert', (data: { message: string }) =>
      this.#got(Number(data.message))
    )

    this.#room = this.pusher.subscribe(ROOM)
    this.#room.bind('pusher:subscription_succeeded', () => this.#succeeded(ROOM))
    this.#room.bind('pusher:member_removed', (member: { id: string }) =>
      this.removed.push(member.id)
    )
  }

  get socket() {
    return this.connections.at(-1)
  }

  /**
   * Connected and subscribed to both channels
   */
  get ready() {
    return this.pusher.connection.state === 'connected' && this.#subscribed.size === 2
  }

  /**
   * The presence members this client sees
   */
  members() {
    const ids: string[] = []
    this.#room.members.each((member: { id: string }) => ids.push(String(member.id)))
    return ids.sort()
  }

  /**
   * Closes for good, as a tab that is closed
   */
  leave() {
    this.left = true
    this.pusher.disconnect()
  }

  #closed() {
    const at = now()
    const last = this.connections.at(-1)
    if (last && last.closedAt === undefined) last.closedAt = at
    const interval = this.feedIntervals.at(-1)
    if (interval && interval.to === undefined) interval.to = at
    this.#subscribed.clear()
  }

  #succeeded(channel: string) {
    this.#subscribed.add(channel)
    if (this.#subscribed.size === 2) this.readyAt.push(now())
  }

  #got(n: number) {
    this.received.set(n, (this.received.get(n) ?? 0) + 1)
  }
}

interface Published {
  n: number
  via: 'api' | 'emit'
  sentAt: number
  ackAt: number
  ok: boolean
  error?: string
}

/**
 * Publishes numbered events one after the other until stopped, through
 * "send" (which throws when the publish was refused), every "pauseMs"
 */
function publishing(
  via: Published['via'],
  log: Published[],
  next: () => number,
  send: (n: number) => Promise<void>,
  pauseMs = 25
) {
  let running = true
  const done = (async () => {
    while (running) {
      const n = next()
      const sentAt = now()
      try {
        await send(n)
        log.push({ n, via, sentAt, ackAt: now(), ok: true })
      } catch (error) {
        log.push({ n, via, sentAt, ackAt: now(), ok: false, error: String(error).slice(0, 200) })
      }
      await sleep(pauseMs)
    }
  })()
  return async () => {
    running = false
    await done
  }
}

/**
 * A client's sockets since "since" (ms after it): opened, closed, codes
 */
function timeline(client: DeployClient, since: number) {
  const sockets = client.connections
    .filter((c) => (c.closedAt ?? Infinity) > since)
    .map(
      (c) =>
        `[${Math.round(c.at - since)}..${c.closedAt ? Math.round(c.closedAt - since) : ''} ${c.codes}]`
    )
  return `${client.name} ${sockets.join(' ')}`
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms: number) {
  await within(
    (async () => {
      while (!(await check())) await sleep(20)
    })(),
    what,
    ms
  )
}

test.group('Embedded server | rolling deploy of three app processes behind nginx', () => {
  test('restarted one at a time under traffic: clients move, presence converges, no event lost or doubled', async ({
    assert,
    cleanup,
  }) => {
    const redis = await startRedisServer()
    cleanup(() => redis.stop())
    await prepareExampleDatabase()

    const nodes = await Promise.all([0, 1, 2].map(() => new AppNode(redis).start()))
    cleanup(async () => void (await Promise.all(nodes.map((node) => node.process?.stop()))))
    const nginx = await startNginx((listen) =>
      docsNginxExample(
        nodes.map((node) => node.port!),
        listen
      )
    )
    cleanup(() => nginx.stop())

    /**
     * Clients through the proxy, spread over the nodes by its round robin.
     * Two tabs of one user: u0.
     */
    const signer = nodes[0].sdk
    const clients: DeployClient[] = []
    cleanup(() => clients.forEach((client) => client.pusher.disconnect()))
    for (let index = 0; index < CLIENTS; index++) {
      const client = new DeployClient(`c${index}`, `u${Math.max(0, index - 1)}`, nginx.port, signer)
      clients.push(client)
      await until(() => client.ready, `c${index} to subscribe`, 10_000)
    }
    const spread = await Promise.all(nodes.map((node) => node.connections()))
    assert.equal(
      spread.reduce((a, b) => a + b),
      CLIENTS
    )
    for (const count of spread) assert.isAbove(count, 0, `clients per node: ${spread}`)

    /**
     * Continuous traffic: the HTTP API and POST /alerts (broadcast.emit in
     * the request), both through the proxy
     */
    let sequence = 0
    const published: Published[] = []
    const api = new PusherSdk({ ...CREDENTIALS, host: '127.0.0.1', port: String(nginx.port) })
    const admin = await AppSession.login('admin@example.com', nginx.url)
    const stopApi = publishing(
      'api',
      published,
      () => ++sequence,
      async (n) => void (await api.trigger(FEED, 'Tick', { n }))
    )
    const stopEmits = publishing(
      'emit',
      published,
      () => ++sequence,
      async (n) => {
        const response = await admin.request('POST', '/alerts', { message: String(n) })
        if (response.status !== 200) throw new Error(`POST /alerts: ${response.status}`)
      }
    )
    cleanup(async () => (await stopApi(), await stopEmits()))
    await sleep(1000)

    /**
     * One node after the other: SIGTERM, wait for the exit, start again on
     * its port. During the second stop, one client of that node closes for
     * good when told to reconnect (a tab closed then): its member must go.
     */
    const stops: Array<{
      node: number
      at: number
      exitMs: number
      readiness: number | string
      sockets: number
      moved: DeployClient[]
      reconnectMs: number[]
    }> = []
    let leaver: DeployClient | undefined
    for (const [index, node] of nodes.entries()) {
      const sockets = await node.connections()
      if (index === 1) {
        for (const client of clients.filter((c) => c.userId !== 'u0')) {
          client.onCode = (code) => {
            if (code !== 4200 || leaver) return
            leaver = client
            client.leave()
          }
        }
      }
      const at = now()
      const { exitMs, readiness } = await node.stop()
      for (const client of clients) client.onCode = undefined
      await node.start()
      await until(
        () => clients.every((client) => client.left || client.ready),
        'every client to be subscribed again',
        15_000
      )
      const moved = clients.filter((client) =>
        client.connections.some((c) => c.closedAt !== undefined && c.closedAt > at)
      )
      const reconnectMs = moved
        .filter((client) => !client.left)
        .map((client) => client.readyAt.find((ready) => ready > at)! - at)
      stops.push({ node: index, at, exitMs, readiness, sockets, moved, reconnectMs })
      if (index < nodes.length - 1) await sleep(NGINX_FAIL_TIMEOUT_MS)
    }

    /**
     * The leaver's removal is held leaveEventDelay; traffic goes on past it
     */
    await sleep(LEAVE_DELAY_MS + 1000)
    await stopApi()
    await stopEmits()
    await sleep(500)
    const endedAt = now()

    // Every stop: its clients (and only those) got 4200 and came back fast
    for (const stop of stops) {
      const what = `node ${stop.node} stopped: ${stop.moved.map((c) => timeline(c, stop.at)).join('; ')}`
      assert.lengthOf(stop.moved, stop.sockets, what)
      for (const client of stop.moved) {
        const closed = client.connections.find((c) => c.closedAt! > stop.at)!
        assert.include(closed.codes, 4200, what)
      }
      assert.isBelow(Math.max(...stop.reconnectMs), RECONNECT_BOUND_MS, what)
      // A load balancer's health check takes a draining node out
      assert.equal(stop.readiness, 503, `GET /health/ready of node ${stop.node} while it drained`)
    }
    assert.isDefined(leaver, 'a client of the second node closed for good')

    // Presence: what every client sees, and every node's API, is the truth
    const present = [...new Set(clients.filter((c) => !c.left).map((c) => c.userId))].sort()
    for (const client of clients.filter((c) => !c.left)) {
      assert.deepEqual(client.members(), present, `${client.name} sees`)
      // A user that moved within the leave delay never left
      assert.deepEqual(
        client.removed.filter((id) => id !== leaver!.userId),
        [],
        `${client.name} saw member_removed`
      )
    }
    for (const node of nodes) {
      assert.deepEqual(await node.users(ROOM), present, `GET /users on :${node.port}`)
      assert.equal(await node.subscriptionCount(FEED), CLIENTS - 1)
    }

    /**
     * Publishes are accepted through every drain: a draining node still
     * serves the HTTP API and the app's routes, and once its port is
     * closed nginx retries on another node. The one failure nginx cannot
     * hide is a connection taken just as the port closes, reset by the
     * kernel or Node: a 502, at the end of a drain, before the exit.
     */
    const failed = published.filter((event) => !event.ok)
    for (const event of failed) {
      const atPortClose = stops.some(
        (stop) => event.ackAt >= stop.at + LEAVE_DELAY_MS && event.sentAt <= stop.at + stop.exitMs
      )
      assert.isTrue(
        atPortClose && event.error!.includes('502'),
        `${event.via} #${event.n} failed at ${Math.round(event.sentAt)} ms (stops ${stops.map((stop) => `${Math.round(stop.at)}+${Math.round(stop.exitMs)}`)}): ${event.error}`
      )
    }

    // Each accepted one reached every client subscribed while it was sent, once
    let checked = 0
    const missing: string[] = []
    for (const client of clients) {
      for (const [n, times] of client.received) {
        if (times > 1) missing.push(`${client.name} got ${n} ${times} times`)
      }
      for (const event of published.filter((e) => e.ok)) {
        const due = client.feedIntervals.some(
          ({ from, to }) => event.sentAt >= from && event.ackAt + IN_FLIGHT_MS <= (to ?? endedAt)
        )
        if (!due) continue
        checked++
        if (!client.received.has(event.n)) {
          missing.push(`${client.name} missed ${event.via} #${event.n}`)
        }
      }
    }
    assert.deepEqual(missing, [])
    assert.isAbove(checked, 1000)

    if (process.env.ROLLING_DEPLOY_FIGURES) {
      const reconnects = stops.flatMap((stop) => stop.reconnectMs).sort((a, b) => a - b)
      const emits = published.filter((event) => event.via === 'emit').length
      console.log(
        `rolling deploy: ${published.length} events (${emits} through POST /alerts), ` +
          `${failed.length} refused, ${checked} deliveries checked; clients moved ` +
          `${stops.map((stop) => stop.moved.length).join('/')}, back in max ` +
          `${Math.round(reconnects.at(-1)!)} ms (median ${Math.round(reconnects[reconnects.length >> 1])} ms); ` +
          `SIGTERM to exit ${stops.map((stop) => Math.round(stop.exitMs)).join('/')} ms`
      )
      for (const event of failed) {
        const stop = stops.find((s) => event.sentAt <= s.at + s.exitMs)!
        console.log(
          `  refused: ${event.via} sent ${Math.round(event.sentAt - stop.at)} ms after SIGTERM ` +
            `(exit at ${Math.round(stop.exitMs)}), answered after ${Math.round(event.ackAt - event.sentAt)} ms: ${event.error}`
        )
      }
    }
  }).timeout(120_000)
})
