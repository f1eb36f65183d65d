import { serverChannelNameProblem } from '../../channel_rules.ts'
import { encryptedPayloadProblem } from '../../encrypted_payload.ts'
import type { ServerLimits } from '../../limits.ts'
import { SOCKET_ID_PATTERN } from '../../protocol.ts'
import { Refusal } from '../../refusal.ts'
import type { HttpApiHost } from '../endpoint.ts'

/**
 * One event to publish, checked
 */
export type PublishedEvent = { channels: string[]; name: string; data: string; socketId?: string }

/**
 * The body of a publishing request, a JSON object
 */
export function jsonObject(raw: Buffer): Record<string, unknown> {
  try {
    const value = JSON.parse(raw.toString('utf8'))
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value
  } catch {}
  throw new Refusal(400, 'The body must be a JSON object')
}

/**
 * Validates one event: name, string data within the size limit, 1 to 100
 * valid channel names, socket id format, and data already encrypted for an
 * encrypted channel
 */
export function checkedEvent(body: Record<string, unknown>, limits: ServerLimits): PublishedEvent {
  const { name, data, channels, socket_id: socketId } = body
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
    throw new Refusal(400, '"name" must be a string of 1 to 200 characters')
  }
  if (typeof data !== 'string') throw new Refusal(400, '"data" must be a string')
  const size = Buffer.byteLength(data)
  if (size > limits.maxEventBytes) {
    throw new Refusal(413, `Event data is ${size} bytes, the limit is ${limits.maxEventBytes}`)
  }
  if (!Array.isArray(channels) || channels.length === 0)
    throw new Refusal(400, '"channels" must be a non-empty array')
  if (channels.length > limits.maxChannelsPerEvent) {
    throw new Refusal(
      400,
      `Too many channels: ${channels.length}, the limit is ${limits.maxChannelsPerEvent}`
    )
  }
  for (const channel of channels) {
    const problem = serverChannelNameProblem(channel)
    if (problem) throw new Refusal(400, problem)
  }
  if (
    socketId !== undefined &&
    (typeof socketId !== 'string' || !SOCKET_ID_PATTERN.test(socketId))
  ) {
    throw new Refusal(400, 'Invalid socket_id')
  }
  // A channel listed twice still gets the event once
  const unique = [...new Set(channels as string[])]
  const encryption = encryptedPayloadProblem(unique, data)
  if (encryption) throw new Refusal(400, encryption)
  return { name, data, channels: unique, socketId: socketId as string | undefined }
}

/**
 * Publishes checked events. Local sockets have them at once, and the
 * answer waits until their frames are written; a bus that failed to tell
 * the other nodes fails the request loudly.
 */
export async function publishEvents(host: HttpApiHost, events: PublishedEvent[]) {
  const sent = events.map((event) =>
    host.publish(event.channels, event.name, event.data, event.socketId)
  )
  const written = host.writes.written()
  try {
    await Promise.all(sent)
  } catch {
    throw new Refusal(500, 'The event reached this node but could not be relayed to the others')
  }
  await written
}

/**
 * The "info" attributes of a publish answer
 */
export async function publishInfo(
  host: HttpApiHost,
  channels: string[],
  info: unknown
): Promise<{ channels?: Record<string, unknown> }> {
  if (typeof info !== 'string' || info.length === 0) return {}
  const attributes = info.split(',')
  const result: Record<string, unknown> = {}
  for (const channel of channels) {
    const stats = await host.state.channel(channel)
    const entry: Record<string, number> = {}
    if (attributes.includes('subscription_count'))
      entry.subscription_count = stats.subscriptionCount
    if (attributes.includes('user_count') && stats.userCount !== undefined)
      entry.user_count = stats.userCount
    result[channel] = entry
  }
  return { channels: result }
}
