/**
 * Reads samples out of Prometheus text: the sum of every series of "name"
 * whose labels include "labels"
 */
export function sample(text: string, name: string, labels: Record<string, string> = {}) {
  let total = 0
  let found = false
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!match || match[1] !== name) continue
    const seriesLabels = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]])
    )
    if (Object.entries(labels).every(([key, value]) => seriesLabels[key] === value)) {
      total += Number(match[3])
      found = true
    }
  }
  return found ? total : undefined
}
