import type { PolicyUser } from './types.ts'

/**
 * Hook returning extra fields for a user's snapshot, e.g. team ids that
 * need a query
 */
export type SerializeUser = (
  user: any
) => Record<string, unknown> | Promise<Record<string, unknown>>

/**
 * The plain-data view of the authenticated user that rules see: a Lucid
 * model's serialized attributes (camelCase, hidden fields left out), plus
 * what "serializeUser" adds. Never the live model.
 */
export async function snapshotUser(
  user: unknown,
  serializeUser?: SerializeUser
): Promise<PolicyUser> {
  if (user === undefined || user === null) {
    return null
  }

  const base =
    typeof (user as { serialize?: unknown }).serialize === 'function'
      ? (user as { serialize(): Record<string, unknown> }).serialize()
      : (user as Record<string, unknown>)
  const extra = serializeUser ? await serializeUser(user) : {}

  /**
   * A JSON round trip leaves plain data only: dates become ISO strings,
   * functions and class instances disappear
   */
  return JSON.parse(JSON.stringify({ ...base, ...extra }))
}
