import type { HttpContext } from '@adonisjs/core/http'
import { assertSocketId } from '../emitting/socket_id.ts'
import { channelNameProblem, channelType } from '@adonisjs-broadcasting/engine/rules'
import {
  ChannelNameInputException,
  E_INVALID_FIELD,
  E_MISSING_FIELD,
  E_PUBLIC_CHANNEL,
} from '../errors.ts'

function field(ctx: HttpContext, name: string): string {
  const value = ctx.request.input(name)
  if (value === undefined || value === null || value === '') {
    throw new E_MISSING_FIELD([name])
  }
  if (typeof value !== 'string') {
    throw new E_INVALID_FIELD([name])
  }
  return value
}

/**
 * The socket id of an auth request, as pusher-js and laravel-echo send it
 * (form-encoded or JSON)
 */
export function socketIdInput(ctx: HttpContext): string {
  return assertSocketId(field(ctx, 'socket_id'))
}

/**
 * The channel of a channel authorization request: a valid name of a
 * channel that needs authorization
 */
export function channelInput(ctx: HttpContext): string {
  const channel = field(ctx, 'channel_name')
  const problem = channelNameProblem(channel)
  if (problem) {
    throw new ChannelNameInputException([channel.slice(0, 210), problem])
  }
  if (channelType(channel) === 'public') {
    throw new E_PUBLIC_CHANNEL([channel])
  }
  return channel
}
