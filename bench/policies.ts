/**
 * Per-decision matching time with 10 and 10,000 patterns: the indexed matcher against a linear
 * scan of compiled regexes (Laravel's approach) as the baseline, in one run. Then the worst
 * case an outsider can pick: near-miss names against a pattern with 10 placeholders around
 * `_`, as a ratio against a typical decision. Last, whole decisions on the demo's policies with
 * rules type-checked against the user's shape and without: the check is done at load, so the
 * ratio should be 1.00 within noise. Then loading a policy file (parse, compile, index) of
 * 20,000 patterns against one of 200, per pattern: linear when the ratio is near 1.
 * Run with `npm run bench:policies`; writes bench/results/policies.json.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { compilePattern } from '../src/policies/pattern.ts'
import { IndexedMatcher } from '../src/policies/matcher.ts'
import { RegexLinearMatcher as LinearMatcher } from '../tests/helpers/regex_matcher.ts'
import { ChannelPolicies } from '../src/policies/main.ts'
import { DEMO_POLICIES, compareDecisions } from './lib/decisions.ts'

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
/**
 * 10 placeholders separated by `_`, which they also accept: a backtracking regex tries every
 * split of the name (minutes per name). The names are 200 characters long and miss at the end.
 */
const worstPattern = `private-${Array.from({ length: 10 }, (_, i) => `<p${i}>`).join('_')}`
const worst = new IndexedMatcher(
  [worstPattern, ...Array.from({ length: 9 }, (_, i) => patternAt(i))].map((source, order) => ({
    pattern: compilePattern(source),
    order,
  }))
)
const worstChannels = Array.from({ length: 100 }, (_, i) => {
  const body = Array.from({ length: 191 }, (__, j) => ((i * 31 + j * 7) % 5 === 0 ? 'a' : '_'))
  return `private-${body.join('')}${i % 2 ? '.' : '@'}`
})
for (const channel of worstChannels) {
  if (channel.length !== 200 || worst.match(channel)) throw new Error(`not a near miss: ${channel}`)
}

const figures = {
  worst10Placeholders: measure((c) => worst.match(c), worstChannels, 150, 5),
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
console.log(
  `worst case (10 placeholders, 200-character near misses): ${ratio(figures.worst10Placeholders, figures.indexed10)}x a typical decision (${ns(figures.worst10Placeholders)} vs ${ns(figures.indexed10)} at 10 patterns; linear in the name's length)`
)

const userShape = {
  source: 'the User model',
  fields: { id: 'int', fullName: 'string', email: 'string', role: 'string' },
  hidden: ['password'],
}
const [typedDecision, untypedDecision] = await compareDecisions(
  ChannelPolicies.fromSource(DEMO_POLICIES, 'channels.yaml', { userShape }),
  ChannelPolicies.fromSource(DEMO_POLICIES, 'channels.yaml')
)
Object.assign(figures, { typedDecision, untypedDecision })
console.log(
  `type-checked rules: ${ratio(typedDecision, untypedDecision)}x per-decision time (${ns(typedDecision)} with the user's shape vs ${ns(untypedDecision)} without; goal 1.00)`
)

/** One entry of a generated policy file, in the four shapes above, with rules */
function policyEntry(i: number) {
  switch (i % 4) {
    case 0:
      return `  private-admins${i}:\n    allow: user.role == 'admin'\n`
    case 1:
      return `  private-team${i}.<teamId:int>:\n    allow: teamId in user.teamIds\n`
    case 2:
      return `  presence-room${i}-<roomId>:\n    allow: user != null\n    member: { id: user.id, info: { name: user.fullName } }\n`
    default:
      return `  private-org${i}.*:\n    deny: true\n`
  }
}
const policyFile = (count: number) =>
  `channels:\n${Array.from({ length: count }, (_, i) => policyEntry(i)).join('')}`

// A boot loads on a fresh heap: each round starts after a full collection, so the garbage of
// the previous round (a large load leaves ~100 MB) is not billed to the next one
setFlagsFromString('--expose-gc')
const collectGarbage = runInNewContext('gc') as () => void

/** ns per pattern to load `source`, over at least one load and `minMs` */
function loadRound(source: string, patterns: number, minMs: number) {
  collectGarbage()
  let loads = 0
  const start = process.hrtime.bigint()
  let elapsed = 0
  do {
    ChannelPolicies.fromSource(source)
    loads++
    elapsed = Number(process.hrtime.bigint() - start)
  } while (elapsed < minMs * 1e6)
  return elapsed / (loads * patterns)
}

const smallFile = policyFile(200)
const largeFile = policyFile(20_000)
loadRound(smallFile, 200, 300)
loadRound(largeFile, 20_000, 0)
// Rounds alternate, so both sizes see the same load on a shared machine
const smallRounds: number[] = []
const largeRounds: number[] = []
for (let round = 0; round < 7; round++) {
  smallRounds.push(loadRound(smallFile, 200, 300))
  largeRounds.push(loadRound(largeFile, 20_000, 0))
}
const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]
const loadPerPattern200 = median(smallRounds)
const loadPerPattern20k = median(largeRounds)
Object.assign(figures, { loadPerPattern200, loadPerPattern20k })
console.log(
  `load 20k/200: ${ratio(loadPerPattern20k, loadPerPattern200)}x time per pattern (${ns(loadPerPattern20k)} per pattern for 20,000 patterns, ${(Buffer.byteLength(largeFile) / 1e6).toFixed(2)} MB, vs ${ns(loadPerPattern200)} for 200; goal <= 1.5x, linear)`
)

await mkdir(new URL('./results/', import.meta.url), { recursive: true })
await writeFile(
  new URL('./results/policies.json', import.meta.url),
  JSON.stringify(
    { node: process.version, unit: 'ns per decision, or per pattern loaded (median)', ...figures },
    null,
    2
  ) + '\n'
)
