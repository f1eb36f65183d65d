import type { HttpContext } from '@adonisjs/core/http'
import { healthChecks } from '#start/health'

/**
 * GET /health: 200 with the report when healthy (warnings included), 503
 * otherwise, for a load balancer or an uptime monitor
 */
export default class HealthChecksController {
  async handle({ response }: HttpContext) {
    const report = await healthChecks.run()
    if (report.isHealthy) return response.ok(report)
    return response.serviceUnavailable(report)
  }
}
