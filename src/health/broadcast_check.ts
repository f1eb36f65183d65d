import { BaseCheck, Result } from '@adonisjs/core/health'
import type { HealthCheckResult } from '@adonisjs/core/types/health'
import type { LocalDriver } from '../drivers/local.ts'
import type { BroadcastDriver, ClientEventsPolicy } from '../drivers/types.ts'

/**
 * What the check reads: the broadcast service (the manager) fits
 */
export interface BroadcastCheckSource {
  driver(name?: string): BroadcastDriver
  readonly policies?: ClientEventsPolicy
}

function isLocal(driver: BroadcastDriver): driver is LocalDriver {
  return typeof (driver as Partial<LocalDriver>).server?.stats === 'function'
}

/**
 * A health check for "@adonisjs/core/health": the embedded server of the
 * connection serves clients, its node joined the cluster and the Redis bus
 * is connected, the channel policies are loaded. Any of those failing is
 * an "error": clients cannot connect, subscribe or receive from the other
 * nodes, and the app's health route answers 503. Degraded but working is a
 * "warning": the last policy reload failed (the previous policies still
 * apply), or an outgoing webhook queue is full (its oldest events are being
 * dropped; taking the node out of a load balancer would not help).
 *
 * @example
 * // start/health.ts
 * new HealthChecks().register([new BroadcastCheck(broadcast)])
 */
export class BroadcastCheck extends BaseCheck {
  name = 'Broadcast check'

  constructor(
    protected broadcast: BroadcastCheckSource,
    protected connection?: string
  ) {
    super()
  }

  async run(): Promise<HealthCheckResult> {
    const errors: string[] = []
    const warnings: string[] = []
    const meta: Record<string, unknown> = {}

    const driver = this.broadcast.driver(this.connection)
    if (isLocal(driver)) {
      const stats = driver.server.stats()
      meta.server = {
        serving: stats.serving,
        node: stats.nodeId,
        connections: stats.connections,
        busConnected: stats.busConnected,
      }
      if (!stats.serving) errors.push('the embedded server is not serving clients')
      else if (!stats.joined) errors.push('the embedded server has not joined its cluster')
      else if (!stats.busConnected) errors.push('the Redis adapter is disconnected')

      const { full } = (meta.webhooks = stats.webhooks ?? { full: [] })
      if (full.length > 0) warnings.push(`the webhook queue is full for ${full.join(', ')}`)
    }

    const policies = this.broadcast.policies
    if (policies?.health) {
      // Never loaded yet (a process that served no request): load them now
      if (!policies.health().loaded) await policies.load?.().catch(() => {})
      const health = policies.health()
      meta.policies = health
      const failed = health.lastError
      const where = failed ? ` (${failed.file ?? 'policies'}: ${firstLine(failed.message)})` : ''
      if (!health.loaded) errors.push(`the channel policies are not loaded${where}`)
      else if (failed) warnings.push(`the last policy reload failed${where}`)
    }

    const result = errors.length
      ? Result.failed(`Broadcast: ${[...errors, ...warnings].join('; ')}`)
      : warnings.length
        ? Result.warning(`Broadcast: ${warnings.join('; ')}`)
        : Result.ok('Broadcast: serving')
    return result.setMetaData(meta)
  }
}

function firstLine(message: string) {
  return message.split('\n')[0].slice(0, 300)
}
