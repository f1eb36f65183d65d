import type { ClientEventOutcome, ServingNode } from '@adonisjs-broadcasting/engine/events'
import type { EventsHub } from '../events_hub.ts'

/**
 * One labelled count (an HTTP API endpoint and status, a decision's outcome
 * and pattern)
 */
export interface LabelledCount {
  labels: Record<string, string>
  count: number
}

/**
 * What the registry option accepts: a prom-client Registry (typed loosely
 * so apps without prom-client still compile)
 */
export interface MetricsRegistry {
  metrics(): Promise<string>
  readonly contentType: string
}

/**
 * Counts what the broadcast side of the app does, in plain numbers: the
 * embedded server's hot paths add to fields and allocate nothing. The
 * Prometheus registry reads them when scraped (see "prometheus.ts"), so
 * recording never depends on prom-client.
 */
export class BroadcastMetrics {
  messagesReceived = 0
  bytesReceived = 0
  messagesSent = 0
  bytesSent = 0
  slowConsumerDrops = 0
  busReconnects = 0
  busMessagesReceived = 0
  busBytesReceived = 0
  readonly clientEvents: Record<ClientEventOutcome, number> = {
    relayed: 0,
    refused: 0,
    rate_limited: 0,
  }
  /**
   * Keyed by their labels: each set is bounded (fixed endpoints and
   * statuses; patterns as written in the policy files)
   */
  readonly apiRequests = new Map<string, LabelledCount>()
  readonly decisions = new Map<string, LabelledCount>()
  readonly sources = new Set<ServingNode>()
  /**
   * Where bus latencies go (the Prometheus histogram), once exposed
   */
  busLatency?: (seconds: number) => void
  /**
   * The prom-client registry they are exposed on
   */
  registry?: MetricsRegistry

  /**
   * The metrics in Prometheus text format, with its content type
   */
  async text(): Promise<{ body: string; contentType: string }> {
    if (!this.registry) return { body: '', contentType: 'text/plain; version=0.0.4' }
    return { body: await this.registry.metrics(), contentType: this.registry.contentType }
  }

  /**
   * The node id counters are labelled with: this process's serving node
   */
  get nodeId(): string {
    for (const source of this.sources) if (source.nodeId) return source.nodeId
    return 'none'
  }

  received(bytes: number) {
    this.messagesReceived++
    this.bytesReceived += bytes
  }

  delivered(recipients: number, frameBytes: number) {
    this.messagesSent += recipients
    this.bytesSent += recipients * frameBytes
  }

  clientEvent(outcome: ClientEventOutcome) {
    this.clientEvents[outcome]++
  }

  slowConsumerDropped() {
    this.slowConsumerDrops++
  }

  apiRequest(endpoint: string, status: number) {
    count(this.apiRequests, { endpoint, status: String(status) })
  }

  busPublished(seconds: number) {
    this.busLatency?.(seconds)
  }

  busReconnected() {
    this.busReconnects++
  }

  busReceived(bytes: number) {
    this.busMessagesReceived++
    this.busBytesReceived += bytes
  }

  /**
   * A node whose gauges are read when scraped
   */
  observe(node: ServingNode) {
    this.sources.add(node)
  }

  /**
   * Counts what "events" tells, the nodes started on it and the policies'
   * decisions included; returns what stops it
   */
  listen(events: EventsHub) {
    const stops = [
      events.on('started', (node) => this.observe(node)),
      events.on('received', (bytes) => this.received(bytes)),
      events.on('delivered', (recipients, bytes) => this.delivered(recipients, bytes)),
      events.on('clientEvent', (outcome) => this.clientEvent(outcome)),
      events.on('slowConsumerDropped', () => this.slowConsumerDropped()),
      events.on('apiRequest', (endpoint, status) => this.apiRequest(endpoint, status)),
      events.on('busPublished', (seconds) => this.busPublished(seconds)),
      events.on('busReconnected', () => this.busReconnected()),
      events.on('busReceived', (bytes) => this.busReceived(bytes)),
      events.on('decision', (_channel, decision) => this.decision(decision)),
    ]
    return () => stops.forEach((stop) => stop())
  }

  /**
   * A channel authorization decided by the policies. "pattern" is the
   * deciding pattern as written (null: none matched)
   */
  decision(decision: { allowed: boolean; pattern: string | null }) {
    count(this.decisions, {
      outcome: decision.allowed ? 'allowed' : 'denied',
      pattern: decision.pattern ?? '(none)',
    })
  }
}

function count(counts: Map<string, LabelledCount>, labels: Record<string, string>) {
  const key = Object.values(labels).join('\n')
  const entry = counts.get(key)
  if (entry) entry.count++
  else counts.set(key, { labels, count: 1 })
}
