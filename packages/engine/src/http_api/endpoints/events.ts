import type { ApiRequest, HttpApiHost } from '../endpoint.ts'
import { checkedEvent, jsonObject, publishEvents, publishInfo } from './event_publishing.ts'

/**
 * POST /apps/:appId/events: one event to 1 to 100 channels ("channels", or
 * a single "channel"), answered with the "info" asked for
 */
export async function triggerEvent(host: HttpApiHost, request: ApiRequest) {
  const body = jsonObject(request.body)
  const channels = Array.isArray(body.channels)
    ? body.channels
    : body.channel !== undefined
      ? [body.channel]
      : []
  const event = checkedEvent({ ...body, channels }, host.limits)
  await publishEvents(host, [event])
  return publishInfo(host, event.channels, body.info)
}
