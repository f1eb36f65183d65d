import { test } from '@japa/runner'
import { ChannelPolicies } from '../../../src/policies/main.ts'
import { PolicyError } from '../../../src/errors.ts'

const policies = ChannelPolicies.fromSource(`channels:
  private-named:
    allow: user.fullName.matches('^([a-zA-Z]+ ?)+$')
  private-partial:
    allow: user.fullName.matches('ov')
  private-data:
    allow: user.fullName.matches(user.pattern)
  private-<userId>:
    allow: user.id == userId
  private-open:
    allow: true
`)

function loadError(rule: string) {
  try {
    ChannelPolicies.fromSource(`channels:\n  private-a:\n    allow: ${rule}\n`)
  } catch (error) {
    if (error instanceof PolicyError) return error
    throw error
  }
  throw new Error(`accepted: ${rule}`)
}

/** Median time of `run`, in ms */
async function median(run: () => Promise<unknown>, rounds: number) {
  const times: number[] = []
  for (let i = 0; i < rounds; i++) {
    const start = performance.now()
    await run()
    times.push(performance.now() - start)
  }
  return times.sort((a, b) => a - b)[Math.floor(rounds / 2)]
}

test.group('Policies | CEL matches() on RE2, and bounded evaluation', () => {
  test('a catastrophic pattern on a near-miss name is decided like any rule', async ({
    assert,
  }) => {
    // 2.5 s with a backtracking RegExp
    const nearMiss = { id: 1, fullName: `${'a'.repeat(29)}!` }
    const decision = await policies.decide('private-named', { user: nearMiss })
    assert.isFalse(decision.allowed)
    assert.include(decision.reason, 'is false')
    const ada = { id: 1, fullName: 'Ada Lovelace' }
    assert.isTrue((await policies.decide('private-named', { user: ada })).allowed)

    const typical = await median(() => policies.decide('private-1', { user: ada }), 51)
    const worst = await median(() => policies.decide('private-named', { user: nearMiss }), 11)
    assert.isBelow(worst / Math.max(typical, 0.001), 1000)
  })

  test('RE2 semantics: a match anywhere, no backreferences', async ({ assert }) => {
    const ada = { id: 1, fullName: 'Ada Lovelace' }
    assert.isTrue((await policies.decide('private-partial', { user: ada })).allowed)
    const error = loadError(String.raw`"user.fullName.matches('(a)\\\\1')"`)
    assert.match(error.message, /^policies\.yaml:3:\d+: private-a: invalid regular expression/)
  })

  test('an invalid pattern written in a rule stops the load at its position', ({ assert }) => {
    const error = loadError("user.fullName.matches('(a')")
    assert.equal(error.line, 3)
    assert.equal(error.column, 34)
    assert.include(error.message, 'invalid regular expression in matches(): ')
    assert.include(error.hint, 'RE2')
  })

  test('a pattern from data is compiled on use; an invalid or huge one denies', async ({
    assert,
  }) => {
    const user = (pattern: string) => ({ id: 1, fullName: 'Ada', pattern })
    assert.isTrue((await policies.decide('private-data', { user: user('^A') })).allowed)
    assert.include(
      (await policies.decide('private-data', { user: user('(') })).reason,
      'errored (invalid_regular_expression)'
    )
    assert.include(
      (await policies.decide('private-data', { user: user('a'.repeat(2000)) })).reason,
      'errored (regular_expression_too_long)'
    )
  })

  test('a rule whose worst case is over the step budget is refused at load', ({ assert }) => {
    const nested = loadError('user.teams.exists(t, user.others.exists(o, o == t))')
    assert.include(nested.message, 'over the budget of 1000000')
    assert.include(nested.hint, 'nest fewer macros')
    assert.include(loadError("user.emails.exists(e, e.matches('@corp$'))").message, 'steps')
    // One macro over user data, or matches() over a list written in the rule, is fine
    ChannelPolicies.fromSource(
      `channels:\n  private-a:\n    allow: "user.teams.exists(t, t == 1) && ['x'].exists(s, s.matches('x'))"\n`
    )
  })

  test('a user snapshot over the bounds denies with a reason, never user data', async ({
    assert,
  }) => {
    const long = { id: 1, fullName: 'x'.repeat(20_000) }
    const denied = await policies.decide('private-named', { user: long })
    assert.equal(
      denied.reason,
      '"private-named": user.fullName is over 16384 characters (hide long columns from serialization)'
    )
    const many = { id: 1, fullName: 'Ada', teams: Array.from({ length: 1001 }, (_, i) => i) }
    assert.include(
      (await policies.decide('private-named', { user: many })).reason,
      'user.teams is a list or map over 1000 entries'
    )
    // A rule-less allow reads nothing
    assert.isTrue((await policies.decide('private-open', { user: long })).allowed)
  })
})
