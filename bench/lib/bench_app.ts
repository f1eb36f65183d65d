/**
 * What every benchmark server and client shares: the app's credentials, the
 * channel and event, the payload and the server kinds. A leaf module, so
 * that servers.ts, ours_process.ts, soketi.ts and http_api_publisher.ts can
 * all import it without importing each other.
 */
export type ServerKind =
  | 'ours'
  | 'ours-direct'
  | 'ours-http'
  | 'ours-metrics'
  | 'ours-coalesce1'
  | 'ours-coalesce5'
  | 'ours-http-coalesce1'
  | 'soketi'
  | 'ws'
  | 'socketio'
  | 'transmit'
export const APP = { appId: 'bench', key: 'bench-key', secret: 'bench-secret' }
export const CHANNEL = 'bench'
export const EVENT = 'bench'

export interface BenchServer {
  kind: ServerKind
  port: number
  /**
   * Emits event "id", stamped with the emit time "t" (ms, see common.now).
   * Ours returns the promise of "broadcast.emit", which the caller awaits
   * as an app would.
   */
  publish(id: number, t: number): void | Promise<void>
  close(): Promise<void>
  /** The server's process when it is a child: its CPU and RSS come from /proc */
  pid?: number
}

/**
 * The event payload, about 200 bytes of JSON. The marker "~id:t~" is what
 * the load generator looks for: it survives every wire format unescaped.
 */
const PAD = 'x'.repeat(
  200 - JSON.stringify({ id: 100, m: '~100:1764270000000.123~', body: '' }).length
)
export function payloadFor(id: number, t: number) {
  return { id, m: `~${id}:${t.toFixed(3)}~`, body: PAD }
}

/** The client side of each server: which wire protocol to speak */
export function clientKind(kind: ServerKind) {
  return kind === 'socketio' ? 'socketio' : kind === 'transmit' ? 'sse' : 'pusher'
}
