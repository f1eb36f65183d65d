import { test } from '@japa/runner'
import { ChannelPolicies } from '../../../src/policies/main.ts'

const SOURCE = `channels:
  private-<a>_<b>_<c>_<d>_<e>_<f>:
    allow: user != null
  private-<userId>:
    allow: user.id == userId
`

/** Median time of `run`, in ms */
async function median(run: () => Promise<unknown>, rounds = 15) {
  const times: number[] = []
  for (let i = 0; i < rounds; i++) {
    const start = performance.now()
    await run()
    times.push(performance.now() - start)
  }
  return times.sort((a, b) => a - b)[Math.floor(rounds / 2)]
}

test.group('Policies | decisions in linear time', () => {
  test('a near-miss name against 6 placeholders around "_" is decided like any other', async ({
    assert,
  }) => {
    const policies = ChannelPolicies.fromSource(SOURCE)
    const user = { id: 42 }
    // 200 characters that fit every placeholder but the last one: a backtracking regex tries
    // every split of the underscores (minutes for one name)
    const miss = `private-${'_'.repeat(191)}.`
    const decision = await policies.decide(miss, { user })
    assert.deepEqual(
      [decision.allowed, decision.reason],
      [false, `no policy pattern matches "${miss}"`]
    )
    assert.isTrue((await policies.decide('private-a_b_c_d_e_f', { user })).allowed)

    // A ratio against a typical decision, never an absolute time: generous, since linear
    // work over 200 characters is tens of typical decisions and backtracking is millions
    const typical = await median(() => policies.decide('private-42', { user }), 101)
    const worst = await median(() => policies.decide(miss, { user }), 15)
    assert.isBelow(worst / Math.max(typical, 0.001), 2000)
  })
})
