import type { HttpContext } from '@adonisjs/core/http'
import type { HealthCheckReport } from '@adonisjs/core/types/health'
import broadcast from 'adonisjs-broadcasting/services/main'
import { healthChecks, readinessChecks } from '#start/health'

/**
 * The health routes (start/health.ts says what each runs): 200 when
 * healthy (warnings included), 503 otherwise. The report (pid, Node
 * version, uptime, heap, disk, node id, connections) is for the requests
 * the /metrics route admits; anyone else gets the status only.
 */
export default class HealthChecksController {
  /**
   * GET /health/live: the process answers
   */
  async live({ response }: HttpContext) {
    return response.ok({ isHealthy: true, status: 'ok' })
  }

  /**
   * GET /health/ready: whether this node can serve
   */
  async ready(ctx: HttpContext) {
    return answer(ctx, await readinessChecks.run(), await isInsider(ctx))
  }

  /**
   * GET /health: the readiness checks plus heap and disk (warnings only).
   * An outsider gets a status, which the readiness checks decide: nothing
   * it sends makes the app read the disk.
   */
  async show(ctx: HttpContext) {
    const insider = await isInsider(ctx)
    return answer(ctx, await (insider ? healthChecks : readinessChecks).run(), insider)
  }
}

function answer({ response }: HttpContext, report: HealthCheckReport, insider: boolean) {
  const body = insider ? report : { isHealthy: report.isHealthy, status: report.status }
  return response.status(report.isHealthy ? 200 : 503).send(body)
}

/**
 * The guard of /metrics ("metrics.shouldExpose" in config/broadcast.ts):
 * this machine not through a proxy, or the METRICS_TOKEN bearer. One that
 * throws refuses.
 */
async function isInsider(ctx: HttpContext) {
  try {
    return await broadcast.config.metrics.shouldExpose(ctx)
  } catch {
    return false
  }
}
