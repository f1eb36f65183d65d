/**
 * The ids of a sign-in's "user_data.watchlist": strings only (ids are
 * strings on the wire), each once, within the id length. Cut to "max"
 * before anything else, so a huge list costs no more than a short one;
 * "over" says it was cut (Pusher answers 4302).
 */
export function watchlistIds(
  watchlist: unknown,
  max: number,
  maxIdLength: number
): { ids: string[]; over: boolean } {
  if (!Array.isArray(watchlist)) return { ids: [], over: false }
  const kept = watchlist.slice(0, Math.max(0, max))
  const ids = new Set<string>()
  for (const id of kept) {
    if (typeof id === 'string' && id.length > 0 && id.length <= maxIdLength) ids.add(id)
  }
  return { ids: [...ids], over: watchlist.length > kept.length }
}
