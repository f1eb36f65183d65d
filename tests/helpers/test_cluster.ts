import PusherModule from 'pusher-js'
import PusherSdk from 'pusher'
import { WebSocket } from 'ws'
import {
  EmbeddedServer,
  type EmbeddedServerOptions,
} from '../../packages/engine/src/embedded_server.ts'
import { memoryCluster } from '../../packages/engine/src/cluster/cluster.ts'
import { MemoryHub } from '../../packages/engine/src/bus/memory_bus.ts'
import { MemoryStore } from '../../packages/engine/src/state/memory_store.ts'
import { HOST, RawClient, sleep } from './server_clients.ts'

type PusherClient = import('pusher-js').default
const Pusher = PusherModule as unknown as typeof import('pusher-js').default

export const APP = { appId: 'cluster', key: 'cluster-key', secret: 'cluster-secret' }

/**
 * One node of an in-process cluster, on a port of its own
 */
export interface Node {
  server: EmbeddedServer
  port: number
  /**
   * The "pusher" SDK pointed at this node (signs auths, calls its HTTP API)
   */
  sdk: PusherSdk
}

/**
 * "size" embedded servers in this process acting as one Pusher server: by
 * default they share one MemoryHub and one MemoryStore; a "cluster" option
 * (a Redis adapter) replaces both. Every client and node opened is closed
 * by close().
 */
export class TestCluster {
  readonly hub = new MemoryHub()
  readonly store = new MemoryStore()
  readonly nodes: Node[] = []
  #pushers: PusherClient[] = []
  #sockets: WebSocket[] = []

  static async start(size = 3, options: Partial<EmbeddedServerOptions> = {}) {
    const cluster = new TestCluster()
    for (let i = 0; i < size; i++) await cluster.addNode(options)
    return cluster
  }

  async addNode(options: Partial<EmbeddedServerOptions> = {}) {
    const server = new EmbeddedServer({
      ...APP,
      ...options,
      cluster: options.cluster ?? memoryCluster({ hub: this.hub, store: this.store }),
    })
    const { port } = await server.listen(0, HOST)
    const sdk = new PusherSdk({ ...APP, host: HOST, port: String(port), useTLS: false })
    const node = { server, port, sdk }
    this.nodes.push(node)
    return node
  }

  /**
   * A pusher-js client of a node; presence channels join as "member", a
   * sign-in is as "user"
   */
  pusher(
    node: Node,
    as: {
      member?: { user_id: string; user_info?: object }
      user?: { id: string; watchlist?: string[] }
    } = {}
  ) {
    const client = new Pusher(APP.key, {
      cluster: '',
      wsHost: HOST,
      wsPort: node.port,
      forceTLS: false,
      enabledTransports: ['ws'],
      channelAuthorization: {
        customHandler: ({ socketId, channelName }: any, callback: any) =>
          callback(
            null,
            node.sdk.authorizeChannel(
              socketId,
              channelName,
              channelName.startsWith('presence-') ? (as.member as any) : undefined
            )
          ),
      } as any,
      userAuthentication: {
        customHandler: ({ socketId }: any, callback: any) =>
          as.user
            ? callback(null, node.sdk.authenticateUser(socketId, as.user))
            : callback(new Error('no user'), null),
      } as any,
    })
    this.#pushers.push(client)
    return client
  }

  /**
   * A raw protocol client of a node
   */
  async raw(node: Node) {
    const ws = new WebSocket(`ws://${HOST}:${node.port}/app/${APP.key}?protocol=7`)
    this.#sockets.push(ws)
    return RawClient.open(ws)
  }

  /**
   * Subscribes a raw client, signed as a presence member where it applies,
   * and resolves with "subscription_succeeded"
   */
  async subscribe(client: RawClient, node: Node, channel: string, member?: { user_id: string }) {
    const signed = channel.startsWith('presence-')
      ? node.sdk.authorizeChannel(client.socketId, channel, member as any)
      : channel.startsWith('private-')
        ? node.sdk.authorizeChannel(client.socketId, channel)
        : {}
    const since = client.frames.length
    client.send({ event: 'pusher:subscribe', data: { channel, ...signed } })
    return client.next(
      (frame) =>
        client.frames.indexOf(frame) >= since &&
        frame.channel === channel &&
        frame.event === 'pusher_internal:subscription_succeeded'
    )
  }

  async close() {
    for (const client of this.#pushers) client.disconnect()
    for (const ws of this.#sockets) ws.terminate()
    this.#pushers = []
    this.#sockets = []
    await sleep(20)
    await Promise.all(this.nodes.map((node) => node.server.close()))
  }
}
