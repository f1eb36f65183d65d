/**
 * Per-decision matching time with 10 and 10,000 patterns: the indexed matcher against a linear
 * scan of compiled regexes (Laravel's approach) as the baseline, in one run.
 * Run with `npm run bench:policies`; writes bench/results/policies.json.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { compilePattern } from '../src/policies/pattern.ts'
import { IndexedMatcher } from '../src/policies/matcher.ts'
import { LinearMatcher } from '../src/policies/linear_matcher.ts'

/** A realistic mix: literal names, typed ids, string params, wildcards */
function patternAt(i: number) {
  switch (i % 4) {
    case 0:
      return `private-admins${i}`
    case 1:
      return `private-team${i}.<teamId:int>`
    case 2:
      return `presence-room${i}-<roomId>`
    default:
      return `private-org${i}.*`
  }
}

function channelFor(i: number) {
  switch (i % 4) {
    case 0:
      return `private-admins${i}`
    case 1:
      return `private-team${i}.${i * 7}`
    case 2:
      return `presence-room${i}-abc${i}`
    default:
      return `private-org${i}.x.y`
  }
}

function setup(count: number) {
  const entries = Array.from({ length: count }, (_, order) => ({
    pattern: compilePattern(patternAt(order)),
    order,
  }))
  // The same 1,000 names for every set (the first 10 patterns exist everywhere), plus misses
  const channels = Array.from({ length: 1000 }, (_, i) =>
    i % 5 === 4 ? `private-none${i}.x` : channelFor(i % 10)
  )
  return { indexed: new IndexedMatcher(entries), linear: new LinearMatcher(entries), channels }
}

/** Median ns per decision over rounds of at least `minMs` */
function measure(match: (channel: string) => unknown, channels: string[], minMs = 150, rounds = 7) {
  let sink = 0
  for (let i = 0; i < 20_000; i++) sink += match(channels[i % channels.length]) ? 1 : 0
  const results: number[] = []
  for (let r = 0; r < rounds; r++) {
    let ops = 0
    const start = process.hrtime.bigint()
    let elapsed = 0
    while (elapsed < minMs * 1e6) {
      for (const channel of channels) sink += match(channel) ? 1 : 0
      ops += channels.length
      elapsed = Number(process.hrtime.bigint() - start)
    }
    results.push(elapsed / ops)
  }
  if (sink < 0) console.log(sink)
  return results.sort((a, b) => a - b)[Math.floor(rounds / 2)]
}

const small = setup(10)
const large = setup(10_000)
for (const channel of small.channels) {
  if (small.indexed.match(channel) !== small.linear.match(channel))
    throw new Error(`mismatch on ${channel}`)
}
const figures = {
  indexed10: measure((c) => small.indexed.match(c), small.channels),
  indexed10k: measure((c) => large.indexed.match(c), large.channels),
  linear10: measure((c) => small.linear.match(c), small.channels),
  linear10k: measure((c) => large.linear.match(c), large.channels, 300, 5),
}
const ns = (value: number) =>
  value >= 1000 ? `${(value / 1000).toFixed(2)} µs` : `${value.toFixed(0)} ns`
const ratio = (a: number, b: number) => (a / b).toFixed(2)

console.log(
  `indexed 10k/10: ${ratio(figures.indexed10k, figures.indexed10)}x per-decision time (ours ${ns(figures.indexed10k)} at 10,000 patterns vs ${ns(figures.indexed10)} at 10; goal <= 1.5x)`
)
console.log(
  `linear 10k/10: ${ratio(figures.linear10k, figures.linear10)}x per-decision time (baseline ${ns(figures.linear10k)} at 10,000 patterns vs ${ns(figures.linear10)} at 10)`
)
console.log(
  `at 10,000 patterns: ${ratio(figures.linear10k, figures.indexed10k)}x faster (ours ${ns(figures.indexed10k)} vs linear regex scan ${ns(figures.linear10k)})`
)
console.log(
  `at 10 patterns: ${ratio(figures.linear10, figures.indexed10)}x faster (ours ${ns(figures.indexed10)} vs linear regex scan ${ns(figures.linear10)})`
)

await mkdir(new URL('./results/', import.meta.url), { recursive: true })
await writeFile(
  new URL('./results/policies.json', import.meta.url),
  JSON.stringify({ node: process.version, unit: 'ns per decision (median)', ...figures }, null, 2) +
    '\n'
)
