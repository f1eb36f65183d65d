import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import { ChannelPolicies, PolicyError } from '../../../src/policies/main.ts'
import { registerPolicyTests } from '../../../src/testing/policies/japa.ts'
import { loadPolicyTests } from '../../../src/testing/policies/load_tests.ts'
import { formatCoverage, formatFailure } from '../../../src/testing/policies/report.ts'
import { runPolicyTests } from '../../../src/testing/policies/run_tests.ts'
import { parsePolicyTestFile } from '../../../src/testing/policies/test_file.ts'
import { unknownTestUserFields } from '../../../src/testing/policies/test_users.ts'
import { shapeFromModel } from '../../../src/policies/user_shape.ts'
import User from '#models/user'

const POLICIES = [
  'channels:',
  '  private-admins:',
  "    allow: user != null && user.role == 'admin'",
  '  private-<userId>:',
  '    allow: user.id == userId',
  '  private-archive:',
  '    deny: true',
].join('\n')

const TESTS = [
  'users:',
  '  admin: { id: 1, role: admin }',
  '  basic: { id: 2, role: basic }',
  'tests:',
  '  - { user: admin, channel: private-admins, expect: allow }',
  '  - name: a basic user is wrongly expected in',
  '    user: basic',
  '    channel: private-admins',
  '    expect: allow',
  '  - { user: { id: 9 }, channel: private-9, expect: allow, pattern: private-<userId> }',
].join('\n')

function parseError(source: string): PolicyError {
  try {
    parsePolicyTestFile(source, 'p.test.yaml')
  } catch (error) {
    if (error instanceof PolicyError) return error
    throw error
  }
  throw new Error('expected a PolicyError')
}

test.group('Policies | tests as data', () => {
  test('a failing case names the deciding pattern and the reason', async ({ assert }) => {
    const policies = ChannelPolicies.fromSource(POLICIES, 'channels.yaml')
    const cases = parsePolicyTestFile(TESTS, 'channels.test.yaml')
    const { results } = await runPolicyTests(policies, cases)

    assert.deepEqual(
      results.map((result) => result.problems),
      [[], ['expected allow, got deny'], []]
    )
    const report = formatFailure(results[1])
    assert.include(report, 'a basic user is wrongly expected in (channels.test.yaml:6:5)')
    assert.include(report, 'pattern: private-admins')
    assert.include(report, "condition `user.role == 'admin'` is false")
  })

  test('coverage names the untested pattern and the branches no case took', async ({ assert }) => {
    const policies = ChannelPolicies.fromSource(POLICIES, 'channels.yaml')
    const { coverage } = await runPolicyTests(
      policies,
      parsePolicyTestFile(TESTS, 'channels.test.yaml')
    )
    assert.deepEqual(
      coverage.patterns.missed.map((target) => target.pattern),
      ['private-archive']
    )
    assert.deepEqual(
      coverage.branches.missed.map((branch) => `${branch.target.pattern} ${branch.label}`),
      [
        'private-archive decides',
        'private-admins denies on `user != null`',
        'private-<userId> denies on `user.id == userId`',
      ]
    )
    assert.deepEqual(formatCoverage(coverage), [
      'coverage: 2/3 patterns, 3/6 rule branches',
      '  pattern never decided: private-archive (channels.yaml:6)',
      '  branch never taken: private-admins denies on `user != null`',
      '  branch never taken: private-<userId> denies on `user.id == userId`',
    ])
  })

  test('expected pattern, reason and member are compared', async ({ assert }) => {
    const policies = ChannelPolicies.fromSource(
      'channels:\n  presence-room:\n    allow: true\n    member: { id: user.id, info: { n: user.n } }\n',
      'p.yaml'
    )
    const cases = parsePolicyTestFile(
      [
        'tests:',
        '  - user: { id: 3, n: Ann }',
        '    channel: presence-room',
        '    expect: allow',
        '    pattern: presence-<x>',
        '    reason: nope',
        "    member: { id: '3', info: { n: Bob } }",
      ].join('\n'),
      'p.test.yaml'
    )
    const [result] = (await runPolicyTests(policies, cases)).results
    assert.deepEqual(result.problems, [
      'expected pattern "presence-<x>", decided by "presence-room"',
      'expected the reason to contain "nope"',
      'expected member {"id":"3","info":{"n":"Bob"}}, got {"id":"3","info":{"n":"Ann"}}',
    ])
  })

  test('a public channel is allowed without a policy; expecting deny says it never is', async ({
    assert,
  }) => {
    // Was: "no policy pattern matches", while the server lets anyone subscribe
    const policies = ChannelPolicies.fromSource(POLICIES, 'channels.yaml')
    const cases = parsePolicyTestFile(
      [
        'tests:',
        '  - { user: null, channel: releases, expect: allow, pattern: null }',
        '  - { user: null, channel: releases, expect: deny }',
        '  - { user: null, channel: private-encrypted-x, expect: deny }',
      ].join('\n'),
      'p.test.yaml'
    )
    const { results, coverage } = await runPolicyTests(policies, cases)
    assert.deepEqual(results[0].problems, [])
    assert.include(results[0].decision, { allowed: true, pattern: null, clientEvents: false })
    assert.equal(
      results[0].decision.reason,
      '"releases" is a public channel: public channels need no authorization, anyone may subscribe'
    )
    assert.deepEqual(results[1].problems, [
      'expected deny, but "releases" is a public channel: public channels are never authorized, anyone may subscribe (a channel that needs a policy starts with "private-" or "presence-")',
    ])
    assert.deepEqual(results[2].problems, [])
    assert.equal(coverage.patterns.missed.length, 3)
  })

  test('{title}')
    .with([
      {
        title: 'an unknown named user',
        source: 'tests:\n  - { user: admn, channel: private-a, expect: allow }\n',
        at: [2, 13],
        message: 'unknown user "admn"',
      },
      {
        title: 'an expectation that is not allow or deny',
        source: 'tests:\n  - channel: private-a\n    expect: allowed\n',
        at: [3, 13],
        message: '"expect" is "allow" or "deny"',
      },
      {
        title: 'a case without a channel',
        source: 'tests:\n  - expect: allow\n',
        at: [2, 5],
        message: 'a test case needs "channel"',
      },
      {
        title: 'a file with no cases',
        source: 'users:\n  a: { id: 1 }\ntests: []\n',
        at: [3, 8],
        message: '"tests" is empty: a policy test file needs at least one case',
      },
      {
        title: 'a misspelt key',
        source: 'tests:\n  - { channel: a, expect: deny, membr: {} }\n',
        at: [2, 33],
        message: 'unknown key "membr" in a test case',
      },
    ])
    .run(({ assert }, { source, at, message }) => {
      const error = parseError(source)
      assert.deepEqual([error.line, error.column], at)
      assert.include(error.message, message)
    })

  test('test users are checked against the User model, once per place', ({ assert }) => {
    const cases = parsePolicyTestFile(
      [
        'users:',
        '  admin: { id: 1, rol: admin, password: x }',
        'tests:',
        '  - { user: admin, channel: private-admins, expect: allow }',
        '  - { user: admin, channel: private-1, expect: allow }',
        '  - { user: { id: 2, fullname: Bob }, channel: private-2, expect: allow }',
      ].join('\n'),
      'p.test.yaml'
    )
    assert.deepEqual(
      unknownTestUserFields(cases, shapeFromModel(User)).map(
        ({ position, message }) => `${position.line}:${position.column}: ${message}`
      ),
      [
        '2:10: test user has "rol", a field the User model does not have (did you mean "role"?)',
        '2:10: test user has "password", hidden from serialization in the User model: rules never see it',
        '6:13: test user has "fullname", a field the User model does not have (did you mean "fullName"?)',
      ]
    )
    assert.deepEqual(unknownTestUserFields(cases, null), [])
  })

  test('test files beside the policies are not policies', async ({ assert, fs }) => {
    await fs.create('both/channels.yaml', POLICIES)
    await fs.create('both/channels.test.yaml', TESTS)
    const policies = await ChannelPolicies.load(`${fs.basePath}/both`)
    assert.lengthOf(policies.list(), 3)
    const files = await loadPolicyTests(`${fs.basePath}/both`)
    assert.deepEqual(
      files.map(({ file, cases }) => [file.endsWith('channels.test.yaml'), cases.length]),
      [[true, 3]]
    )
  })

  test('the Japa helper registers one test per case, failing with the report', async ({
    assert,
    fs,
  }) => {
    await fs.create('japa/channels.test.yaml', TESTS)
    const registered: Array<{ title: string; run: () => Promise<void> }> = []
    const groups: string[] = []
    const fakeTest = Object.assign(
      (title: string, run: () => Promise<void>) => registered.push({ title, run }),
      { group: (title: string, callback: () => void) => (groups.push(title), callback()) }
    )
    await registerPolicyTests(fakeTest, {
      tests: `${fs.basePath}/japa`,
      policies: async () => ChannelPolicies.fromSource(POLICIES, 'channels.yaml'),
    })

    assert.lengthOf(groups, 1)
    assert.deepEqual(
      registered.map((entry) => entry.title),
      [
        'allow admin on private-admins',
        'a basic user is wrongly expected in',
        'allow inline user on private-9',
      ]
    )
    await assert.doesNotReject(() => registered[0].run())
    await assert.rejects(() => registered[1].run(), /expected allow, got deny/)
  })
})

/**
 * The demo app's own policy tests, through the helper an app would use
 */
await registerPolicyTests(test, {
  tests: app.makePath('policies'),
  policies: async () => (await app.container.make('broadcast.policies')).load(),
})
