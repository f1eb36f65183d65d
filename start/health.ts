/*
|--------------------------------------------------------------------------
| Health checks
|--------------------------------------------------------------------------
|
| app/controllers/health_checks_controller.ts runs them:
|
| - GET /health/live (liveness): no check. The process answers; restarting
|   it for its heap or its disk would not make it serve better.
| - GET /health/ready (readiness): only what means "this node cannot
|   serve": BroadcastCheck (the embedded server serves, the Redis adapter
|   is connected, the channel policies are loaded).
| - GET /health: the readiness checks plus heap and disk, which only warn.
|   V8 collects lazily: an idle node can hold hundreds of MB of garbage
|   (say, after a guest's 200 000 public subscriptions) until a major GC,
|   and a heap threshold would answer 503 for a node that serves fine.
|
*/
import {
  BaseCheck,
  DiskSpaceCheck,
  HealthChecks,
  MemoryHeapCheck,
  Result,
} from '@adonisjs/core/health'
import { BroadcastCheck } from 'adonisjs-broadcasting'
import broadcast from 'adonisjs-broadcasting/services/main'

/**
 * Reports what a check found, an error as a warning: worth a look, never a
 * reason to take the node out
 */
class WarnOnly extends BaseCheck {
  name: string

  constructor(protected check: BaseCheck) {
    super()
    this.name = check.name
  }

  async run() {
    const result = await this.check.run()
    if (result.status !== 'error') return result
    return Result.warning(result.message).mergeMetaData(result.meta ?? {})
  }
}

export const readinessChecks = new HealthChecks().register([new BroadcastCheck(broadcast)])

export const healthChecks = new HealthChecks().register([
  new BroadcastCheck(broadcast),
  new WarnOnly(new MemoryHeapCheck()),
  new WarnOnly(new DiskSpaceCheck()),
])
