import { inject } from '@adonisjs/core'
import type { HttpContext } from '@adonisjs/core/http'
import { MetricsEndpoint } from './metrics_endpoint.ts'

/**
 * GET /metrics: the broadcast metrics in Prometheus text format, for whom
 * "metrics.shouldExpose" admits (by default the loopback address). A
 * refusal is a plain 403: nothing tells an outsider what is there.
 */
@inject()
export default class MetricsController {
  constructor(protected broadcast: MetricsEndpoint) {}

  async handle(ctx: HttpContext) {
    const { metrics, config } = this.broadcast
    if (!metrics) return ctx.response.notFound('Metrics are off')
    let exposed = false
    try {
      exposed = await config.metrics.shouldExpose(ctx)
    } catch {}
    if (!exposed) return ctx.response.forbidden('Forbidden')
    const { body, contentType } = await metrics.text()
    ctx.response.header('content-type', contentType)
    return ctx.response.send(body)
  }
}
