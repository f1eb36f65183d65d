/**
 * Per-decision time of the demo's policies, for a mix of allowed and denied
 * subscriptions. Only APIs every version has, so the same file measures an
 * older checkout too.
 */
import { readFile } from 'node:fs/promises'
import type { ChannelPolicies } from '../../src/policies/main.ts'

export const DEMO_POLICIES = await readFile(
  new URL('../../policies/channels.yaml', import.meta.url),
  'utf8'
)

const users = [
  { id: 1, fullName: 'Ada', email: 'a@example.com', role: 'admin' },
  { id: 2, fullName: 'Bob', email: 'b@example.com', role: 'basic' },
]
export const DECISIONS = Array.from({ length: 1000 }, (_, i) => {
  const user = users[i % 2]
  const channel = ['private-admins', `private-${(i % 3) + 1}`, `presence-chat.${i}`][i % 3]
  return { channel, context: { user, socketId: '1234.5678' } }
})

/** ns per decision over one pass of at least `minMs` */
export async function decisionRound(policies: ChannelPolicies, minMs: number) {
  let ops = 0
  let sink = 0
  const start = process.hrtime.bigint()
  let elapsed = 0
  while (elapsed < minMs * 1e6) {
    for (const { channel, context } of DECISIONS) {
      if ((await policies.decide(channel, context)).allowed) sink++
    }
    ops += DECISIONS.length
    elapsed = Number(process.hrtime.bigint() - start)
  }
  if (sink < 0) console.log(sink)
  return elapsed / ops
}

/** Medians of interleaved rounds, so drift on a shared machine hits both alike */
export async function compareDecisions(a: ChannelPolicies, b: ChannelPolicies, rounds = 7) {
  await decisionRound(a, 100)
  await decisionRound(b, 100)
  const times: [number[], number[]] = [[], []]
  for (let r = 0; r < rounds; r++) {
    times[0].push(await decisionRound(a, 100))
    times[1].push(await decisionRound(b, 100))
  }
  const median = (values: number[]) => values.sort((x, y) => x - y)[Math.floor(values.length / 2)]
  return [median(times[0]), median(times[1])]
}
