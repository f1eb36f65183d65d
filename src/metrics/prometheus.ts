import { RuntimeException } from '@adonisjs/core/exceptions'
import type { Registry } from 'prom-client'
import { CHANNEL_TYPES } from '@adonisjs-broadcasting/engine/rules'
import type { BroadcastMetrics } from './broadcast_metrics.ts'
import type { LabelledCount, MetricsRegistry } from './broadcast_metrics.ts'

type PromClient = typeof import('prom-client')

export interface PrometheusOptions {
  /**
   * Put before every metric name. Default "broadcast_"
   */
  prefix: string
  /**
   * The app's own registry; default a private one
   */
  registry?: MetricsRegistry
}

/**
 * prom-client, an optional peer dependency: loaded only when metrics are
 * on, and a boot error naming it when missing
 */
export async function loadPromClient(): Promise<PromClient> {
  try {
    const module = await import('prom-client')
    return ((module as any).default ?? module) as PromClient
  } catch (error) {
    throw new RuntimeException(
      'Broadcast metrics need the "prom-client" package: run "npm install prom-client", or set "metrics.enabled" to false in "config/broadcast.ts"',
      { cause: error }
    )
  }
}

/**
 * Registers the broadcast metrics on a registry. Every value is read from
 * "metrics" when the registry is scraped; only the bus latency histogram
 * is observed as it happens. Registering again (a second boot in tests)
 * replaces the previous collectors.
 */
export function registerPrometheus(
  client: PromClient,
  metrics: BroadcastMetrics,
  options: PrometheusOptions
): Registry {
  const registry = (options.registry as Registry | undefined) ?? new client.Registry()
  const p = options.prefix
  const registers = [registry]
  const fresh = (name: string) => {
    if (registry.getSingleMetric(name)) registry.removeSingleMetric(name)
    return name
  }

  const total = (name: string, help: string, read: () => number) =>
    new client.Counter({
      name: fresh(`${p}${name}`),
      help,
      labelNames: ['node'],
      registers,
      collect() {
        this.reset()
        this.inc({ node: metrics.nodeId }, read())
      },
    })

  const labelled = (
    name: string,
    help: string,
    labelNames: string[],
    read: () => Iterable<LabelledCount>
  ) =>
    new client.Counter({
      name: fresh(`${p}${name}`),
      help,
      labelNames: ['node', ...labelNames],
      registers,
      collect() {
        this.reset()
        const node = metrics.nodeId
        for (const { labels, count } of read()) this.inc({ node, ...labels }, count)
      },
    })

  /**
   * Per node this process runs: gauges of what it holds now
   */
  const perNode = (
    name: string,
    help: string,
    type: 'gauge' | 'counter',
    read: (source: typeof metrics.sources extends Set<infer S> ? S : never) => number | undefined
  ) => {
    const Metric = type === 'gauge' ? client.Gauge : client.Counter
    return new Metric({
      name: fresh(`${p}${name}`),
      help,
      labelNames: ['node'],
      registers,
      collect() {
        this.reset()
        for (const source of metrics.sources) {
          const value = source.nodeId === undefined ? undefined : read(source)
          if (value !== undefined) this.inc({ node: source.nodeId! }, value)
        }
      },
    })
  }

  perNode('connections', 'Open WebSocket connections', 'gauge', (s) => s.stats().connections)
  perNode(
    'subscriptions',
    'Channel subscriptions of the open connections',
    'gauge',
    (s) => s.stats().subscriptions
  )
  new client.Gauge({
    name: fresh(`${p}channels`),
    help: 'Channels with at least one subscriber on this node, by type',
    labelNames: ['node', 'type'],
    registers,
    collect() {
      this.reset()
      for (const source of metrics.sources) {
        if (source.nodeId === undefined) continue
        const { channels } = source.stats()
        for (const type of CHANNEL_TYPES) this.set({ node: source.nodeId, type }, channels[type])
      }
    },
  })

  total('messages_received_total', 'Frames received from clients', () => metrics.messagesReceived)
  total(
    'bytes_received_total',
    'Bytes of the frames received from clients',
    () => metrics.bytesReceived
  )
  total(
    'messages_sent_total',
    'Events delivered to clients (one per recipient)',
    () => metrics.messagesSent
  )
  total('bytes_sent_total', 'Bytes of the events delivered to clients', () => metrics.bytesSent)
  total(
    'slow_consumer_drops_total',
    'Connections closed with 4100 for not reading fast enough',
    () => metrics.slowConsumerDrops
  )
  total(
    'bus_reconnects_total',
    'Reconnections of the Redis bus connections',
    () => metrics.busReconnects
  )
  total(
    'bus_messages_received_total',
    'Messages read off the Redis bus (those of the channels this node serves)',
    () => metrics.busMessagesReceived
  )
  total(
    'bus_bytes_received_total',
    'Bytes of the messages read off the Redis bus',
    () => metrics.busBytesReceived
  )

  labelled(
    'http_api_requests_total',
    'Pusher HTTP API requests answered',
    ['endpoint', 'status'],
    () => metrics.apiRequests.values()
  )
  labelled(
    'authorizations_total',
    'Channel authorizations decided by the policies',
    ['outcome', 'pattern'],
    () => metrics.decisions.values()
  )
  labelled('client_events_total', 'Client events, by outcome', ['outcome'], () =>
    Object.entries(metrics.clientEvents).map(([outcome, count]) => ({ labels: { outcome }, count }))
  )

  perNode(
    'webhooks_sent_total',
    'Lifecycle events delivered by outgoing webhooks',
    'counter',
    (s) => s.stats().webhooks?.sent
  )
  perNode(
    'webhooks_failed_total',
    'Lifecycle events whose webhook failed for good',
    'counter',
    (s) => s.stats().webhooks?.failed
  )
  new client.Counter({
    name: fresh(`${p}webhooks_dropped_total`),
    help: 'Lifecycle events dropped because the webhook queue was full, by event',
    labelNames: ['node', 'event'],
    registers,
    collect() {
      this.reset()
      for (const source of metrics.sources) {
        const dropped = source.nodeId === undefined ? undefined : source.stats().webhooks
        if (!dropped) continue
        for (const [event, count] of Object.entries(dropped.droppedByEvent)) {
          this.inc({ node: source.nodeId!, event }, count)
        }
      }
    },
  })
  perNode(
    'webhooks_queued',
    'Lifecycle events waiting to be sent by webhook',
    'gauge',
    (s) => s.stats().webhooks?.queued
  )

  const latency = new client.Histogram({
    name: fresh(`${p}bus_publish_seconds`),
    help: 'Time to publish a message on the Redis bus',
    labelNames: ['node'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers,
  })
  metrics.busLatency = (seconds) => latency.observe({ node: metrics.nodeId }, seconds)

  return registry
}
