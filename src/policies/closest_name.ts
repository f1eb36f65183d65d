/** Edit distance, bounded: names are short and the candidates few */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
    }
    previous = current
  }
  return previous[b.length]
}

/** `full_name`, `fullName` and `FullName` are the same name to a reader */
function normalize(name: string) {
  return name.replaceAll('_', '').toLowerCase()
}

/**
 * The candidate a misspelt name most likely meant, for a "did you mean"
 * hint: the same name in another case, or one within two edits (one for
 * short names). Null when none is close.
 */
export function closestName(name: string, candidates: string[]): string | null {
  const wanted = normalize(name)
  let best: string | null = null
  let bestDistance = wanted.length <= 3 ? 2 : 3
  for (const candidate of candidates) {
    const d = distance(wanted, normalize(candidate))
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best
}
