/*
|--------------------------------------------------------------------------
| Health checks
|--------------------------------------------------------------------------
|
| GET /health runs them (app/controllers/health_checks_controller.ts).
| BroadcastCheck: the embedded server serves, the Redis adapter is
| connected, the channel policies are loaded, no webhook queue is full.
|
*/
import { DiskSpaceCheck, HealthChecks, MemoryHeapCheck } from '@adonisjs/core/health'
import { BroadcastCheck } from 'adonisjs-broadcasting'
import broadcast from 'adonisjs-broadcasting/services/main'

export const healthChecks = new HealthChecks().register([
  new DiskSpaceCheck(),
  new MemoryHeapCheck(),
  new BroadcastCheck(broadcast),
])
