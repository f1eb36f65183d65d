import type { Endpoint } from './endpoint.ts'
import { Router } from './router.ts'
import { triggerBatch } from './endpoints/batch_events.ts'
import { channelInfo } from './endpoints/channel.ts'
import { channelUsers } from './endpoints/channel_users.ts'
import { listChannels } from './endpoints/channels.ts'
import { triggerEvent } from './endpoints/events.ts'
import { terminateConnections } from './endpoints/terminate_connections.ts'

/**
 * The Pusher HTTP API at the paths the "pusher" SDK uses. The endpoint
 * names are metric labels: keep them as they are.
 */
export const routes = new Router<Endpoint>()
  .add('POST', '/apps/:appId/events', 'events', triggerEvent)
  .add('POST', '/apps/:appId/batch_events', 'batch_events', triggerBatch)
  .add('GET', '/apps/:appId/channels', 'channels', listChannels)
  .add('GET', '/apps/:appId/channels/:channel', 'channel', channelInfo)
  .add('GET', '/apps/:appId/channels/:channel/users', 'channel_users', channelUsers)
  .add(
    'POST',
    '/apps/:appId/users/:userId/terminate_connections',
    'terminate_connections',
    terminateConnections
  )
