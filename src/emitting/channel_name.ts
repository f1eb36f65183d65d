import { channelNameProblem } from '@adonisjs-broadcasting/engine/rules'
import { E_INVALID_CHANNEL_NAME } from '../errors.ts'

/**
 * Throws E_INVALID_CHANNEL_NAME naming the bad name
 */
export function assertChannelName(name: string): string {
  const problem = channelNameProblem(name)
  if (problem) {
    throw new E_INVALID_CHANNEL_NAME([String(name), problem])
  }
  return name
}
