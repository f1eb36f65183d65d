import { E_USER_MAPPING_FAILED } from '../errors.ts'
import { snapshotProblem } from './input_bounds.ts'
import { canonicalId, toPlainData, type CompiledMapping } from './member.ts'
import { errorCode } from './rule.ts'
import type { PolicyUser } from './types.ts'
import { evaluateWatchlist, type CompiledWatchlist } from './watchlist.ts'

/**
 * The compiled top-level `user:` mapping, with its watchlist if it has one
 */
export interface CompiledUser {
  mapping: CompiledMapping
  watchlist: CompiledWatchlist | null
}

/**
 * What the user-auth route signs: Pusher's `user_data`
 */
export interface SignInUserData {
  id: string
  info?: Record<string, unknown>
  /** The ids whose online / offline the user is told (Pusher's watchlist) */
  watchlist?: string[]
}

/**
 * User data for Pusher user sign-in. Null for guests; throws `E_USER_MAPPING_FAILED` when
 * the mapping fails for this user (its message holds the CEL error code, never user data).
 */
export function userDataOf(compiled: CompiledUser, user: PolicyUser): SignInUserData | null {
  if (!user) return null
  const problem = snapshotProblem(user)
  if (problem) throw new E_USER_MAPPING_FAILED('snapshot_too_large', `user mapping: ${problem}`)
  const { mapping, watchlist } = compiled
  const context = { user, channel: '', socketId: '' }
  let step = 'id'
  try {
    const id = canonicalId(mapping.id(context))
    if (id === null)
      throw new E_USER_MAPPING_FAILED('invalid_id', 'user.id is not a non-empty string or a number')
    const data: SignInUserData = { id }
    if (mapping.info.length) {
      const info: Record<string, unknown> = {}
      for (const entry of mapping.info) {
        step = `info.${entry.key}`
        info[entry.key] = toPlainData(entry.evaluate(context))
      }
      data.info = info
    }
    step = 'watchlist'
    if (watchlist) data.watchlist = evaluateWatchlist(watchlist, context)
    return data
  } catch (error) {
    if (error instanceof E_USER_MAPPING_FAILED) throw error
    const code = errorCode(error)
    throw new E_USER_MAPPING_FAILED(code, `user mapping: ${step} errored (${code})`)
  }
}
