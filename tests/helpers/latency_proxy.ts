import { createConnection, createServer, type Socket } from 'node:net'
import { once } from 'node:events'

/**
 * A TCP proxy on the loopback that holds every chunk "delayMs" before
 * passing it on, in order, both ways: a slow network in front of a real
 * server (Redis), so what races between two round trips does race
 */
export interface LatencyProxy {
  port: number
  close(): Promise<void>
}

function delayed(from: Socket, to: Socket, delayMs: number) {
  from.on('data', (chunk) => {
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk)
    }, delayMs)
  })
  from.on('close', () => setTimeout(() => to.destroy(), delayMs))
  from.on('error', () => {})
}

export async function startLatencyProxy(
  upstreamPort: number,
  delayMs: number
): Promise<LatencyProxy> {
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = createConnection({ port: upstreamPort, host: '127.0.0.1', noDelay: true })
    client.setNoDelay(true)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
    }
    delayed(client, upstream, delayMs)
    delayed(upstream, client, delayMs)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    port: (server.address() as { port: number }).port,
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
