import type { HttpContext } from '@adonisjs/core/http'
import { SOCKET_ID_PATTERN } from '../socket_id.ts'
import { channelNameProblem, channelType } from '../channel_name.ts'

export class AuthInputError extends Error {
  constructor(
    public code: string,
    message: string
  ) {
    super(message)
  }
}

function field(ctx: HttpContext, name: string): string {
  const value = ctx.request.input(name)
  if (value === undefined || value === null || value === '') {
    throw new AuthInputError('E_MISSING_FIELD', `Missing "${name}" in the request body`)
  }
  if (typeof value !== 'string') {
    throw new AuthInputError('E_INVALID_FIELD', `"${name}" must be a string`)
  }
  return value
}

/**
 * The socket id of an auth request, as pusher-js and laravel-echo send it
 * (form-encoded or JSON)
 */
export function socketIdInput(ctx: HttpContext): string {
  const socketId = field(ctx, 'socket_id')
  if (!SOCKET_ID_PATTERN.test(socketId)) {
    throw new AuthInputError(
      'E_INVALID_SOCKET_ID',
      `Invalid "socket_id" "${socketId.slice(0, 40)}": expected two integers joined by a dot, as in "1234.5678"`
    )
  }
  return socketId
}

/**
 * The channel of a channel authorization request: a valid name of a
 * channel that needs authorization
 */
export function channelInput(ctx: HttpContext): string {
  const channel = field(ctx, 'channel_name')
  const problem = channelNameProblem(channel)
  if (problem) {
    throw new AuthInputError(
      'E_INVALID_CHANNEL_NAME',
      `Invalid "channel_name" "${channel.slice(0, 210)}": ${problem}`
    )
  }
  if (channelType(channel) === 'public') {
    throw new AuthInputError(
      'E_PUBLIC_CHANNEL',
      `"${channel}" is a public channel: it needs no authorization. Only "private-" and "presence-" channels are authorized`
    )
  }
  return channel
}
