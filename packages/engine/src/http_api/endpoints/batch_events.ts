import { Refusal } from '../../refusal.ts'
import type { ApiRequest, HttpApiHost } from '../endpoint.ts'
import { checkedEvent, jsonObject, publishEvents, publishInfo } from './event_publishing.ts'

/**
 * POST /apps/:appId/batch_events: up to maxBatchSize events, each to one
 * channel; the "info" answers index-aligned with the batch
 */
export async function triggerBatch(host: HttpApiHost, request: ApiRequest) {
  const batch = jsonObject(request.body).batch
  if (!Array.isArray(batch) || batch.length === 0)
    throw new Refusal(400, '"batch" must be a non-empty array')
  if (batch.length > host.limits.maxBatchSize) {
    throw new Refusal(
      400,
      `Batch too large: ${batch.length} events, the limit is ${host.limits.maxBatchSize}`
    )
  }
  // All items are checked before any is published: a bad batch sends nothing
  const events = batch.map((item) => {
    if (typeof item !== 'object' || item === null)
      throw new Refusal(400, 'Each batch item must be an object')
    return checkedEvent({ ...item, channels: [item.channel] }, host.limits)
  })
  await publishEvents(host, events)

  if (!batch.some((item) => item.info)) return {}
  return {
    batch: await Promise.all(
      batch.map(async (item, index) => {
        if (!item.info) return {}
        const info = await publishInfo(host, events[index].channels, item.info)
        return info.channels?.[events[index].channels[0]] ?? {}
      })
    ),
  }
}
