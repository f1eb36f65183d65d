import { test } from '@japa/runner'
import { ChannelPolicies, PolicyError } from '../../../src/policies/main.ts'

const alice = { id: 1, teamIds: [2, 3, '4', 1, 2, null, '', 'x'.repeat(129)] }

function policies(watchlist: string) {
  return ChannelPolicies.fromSource(
    `channels:\n\nuser:\n  id: user.id\n  watchlist:${watchlist}\n`,
    'policy.yaml'
  )
}

function loadError(source: string): PolicyError {
  try {
    ChannelPolicies.fromSource(source, 'policy.yaml')
  } catch (error) {
    if (error instanceof PolicyError) return error
    throw error
  }
  throw new Error('expected a PolicyError')
}

test.group('Policies | user watchlist', () => {
  test('without a rule: the canonical ids of the list, each once', ({ assert }) => {
    const data = policies(' user.teamIds').userData(alice)
    assert.deepEqual(data, { id: '1', watchlist: ['2', '3', '4', '1'] })
  })

  test('with a rule: only the ids it allows, an error denying that id', ({ assert }) => {
    const data = policies(
      '\n    ids: user.teamIds\n    allow: watched != string(user.id) && int(watched) < 4'
    ).userData(alice)
    assert.deepEqual(data, { id: '1', watchlist: ['2', '3'] })
  })

  test('a rule that allows nobody gives an empty watchlist', ({ assert }) => {
    const data = policies('\n    ids: user.teamIds\n    allow: "false"').userData(alice)
    assert.deepEqual(data, { id: '1', watchlist: [] })
  })

  test('a list of 1,000 ids is cut to its first 100 before the rule runs', ({ assert }) => {
    let calls = 0
    const many = { id: 1, teamIds: Array.from({ length: 1000 }, (_, i) => i + 2) }
    const counted = new Proxy(many, {
      get(target, key) {
        if (key === 'id') calls++
        return Reflect.get(target, key)
      },
    })
    const data = policies(
      '\n    ids: user.teamIds\n    allow: watched != string(user.id)'
    ).userData(counted)
    assert.lengthOf(data!.watchlist!, 100)
    assert.deepEqual(data!.watchlist!.slice(0, 2), ['2', '3'])
    // The rule reads user.id once per id it judges: 100 of them, plus the mapping's own reads
    assert.isAtLeast(calls, 100)
    assert.isAtMost(calls, 105)
  })

  test('a list of 10,000 ids is refused before any rule runs (the user snapshot bound)', ({
    assert,
  }) => {
    const many = { id: 1, teamIds: Array.from({ length: 10_000 }, (_, i) => i + 2) }
    assert.throws(
      () => policies(' user.teamIds').userData(many),
      /user\.teamIds is a list or map over 1000 entries/
    )
  })

  test('ids that are not a list fail the mapping with a code, never the user data', ({
    assert,
  }) => {
    assert.throws(() => policies(' user.id').userData(alice), /watchlist errored \(not_a_list\)/)
  })

  test('errors name file:line:col: {title}')
    .with([
      {
        title: 'an unknown variable in ids',
        source: 'user:\n  id: user.id\n  watchlist: usr.teamIds\n',
        at: [3, 14],
        message: 'user.watchlist.ids: Unknown variable: usr',
      },
      {
        title: 'a rule that is not a condition',
        source: 'user:\n  id: user.id\n  watchlist:\n    ids: user.teamIds\n    allow: watched\n',
        at: [5, 12],
        message: 'user.watchlist.allow:',
      },
      {
        title: 'an unknown key',
        source: 'user:\n  id: user.id\n  watchlist:\n    ids: user.teamIds\n    when: true\n',
        at: [5, 5],
        message: 'unknown key "when" in user.watchlist',
      },
      {
        title: 'a watchlist on a presence member',
        source:
          'channels:\n  presence-a:\n    allow: true\n    member: { id: user.id, watchlist: user.ids }\n',
        at: [4, 28],
        message: 'unknown key "watchlist" in',
      },
    ])
    .run(({ assert }, { source, at, message }) => {
      const error = loadError(source)
      assert.deepEqual([error.line, error.column], at)
      assert.match(error.message, new RegExp(`^policy\\.yaml:${at[0]}:${at[1]}: `))
      assert.include(error.message, message)
    })
})
