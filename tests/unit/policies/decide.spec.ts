import { test } from '@japa/runner'
import { ChannelPolicies } from '../../../src/policies/main.ts'

const SOURCE = `channels:
  private-<userId>:
    allow: user.id == userId
  private-admins:
    allow: user.role == 'admin'
  private-team-<teamId:int>:
    allow: user != null && teamId in user.teamIds
  private-teamx-<teamId>:
    allow: user != null && user.teamIds.exists(t, t == teamId)
  private-open:
    allow: true
  private-user.<id:uuid>:
    allow: user.id == id
  private-secret.*:
    deny: true
  presence-chat.<roomId:int>:
    allow: user != null
    member:
      id: user.id
      info: { name: user.fullName, role: user.role }
    clientEvents: true
  presence-big:
    allow: true
    member: { id: user.id, info: { bio: user.bio } }
  presence-bad:
    allow: true
    member: { id: user.tags }
user:
  id: user.id
  info: { name: user.fullName }
`
const examplePolicies = ChannelPolicies.fromSource(SOURCE)
const alice = {
  id: 42,
  role: 'admin',
  fullName: 'Alice',
  teamIds: [7],
  password: 'hash',
  bio: 'x',
  tags: ['a'],
}
const bob = { id: '2', role: 'user', fullName: 'Bob', teamIds: [], password: 'hash' }

test.group('Policies | decide', () => {
  test('ids compare as canonical decimal strings', async ({ assert }) => {
    assert.isTrue((await examplePolicies.decide('private-42', { user: alice })).allowed)
    assert.isFalse((await examplePolicies.decide('private-042', { user: alice })).allowed)
    assert.isFalse((await examplePolicies.decide('private-42.x', { user: alice })).allowed)
    assert.isTrue((await examplePolicies.decide('private-2', { user: bob })).allowed)
    assert.isFalse((await examplePolicies.decide('private-1', { user: bob })).allowed)
    assert.isFalse((await examplePolicies.decide('private-02', { user: bob })).allowed)
  })

  test('typed params work with in, exists works with string params', async ({ assert }) => {
    assert.isTrue((await examplePolicies.decide('private-team-7', { user: alice })).allowed)
    assert.isFalse((await examplePolicies.decide('private-team-07', { user: alice })).allowed)
    assert.isTrue((await examplePolicies.decide('private-teamx-7', { user: alice })).allowed)
    assert.isFalse((await examplePolicies.decide('private-teamx-8', { user: alice })).allowed)
  })

  test('roles and reasons name the pattern and the failed condition', async ({ assert }) => {
    assert.isTrue((await examplePolicies.decide('private-admins', { user: alice })).allowed)
    const denied = await examplePolicies.decide('private-admins', { user: bob })
    assert.deepEqual(denied, {
      allowed: false,
      pattern: 'private-admins',
      reason: `"private-admins": condition \`user.role == 'admin'\` is false`,
      member: null,
      clientEvents: false,
    })
  })

  test('a guest is denied with a reason saying there is no signed-in user', async ({ assert }) => {
    const decision = await examplePolicies.decide('private-admins', { user: null })
    assert.isFalse(decision.allowed)
    assert.equal(decision.reason, '"private-admins": no signed-in user (rule reads user.role)')
    const nested = ChannelPolicies.fromSource(
      "channels:\n  private-x:\n    allow: user['plan'] == 'pro' && user.profile.role == 'a'\n"
    )
    assert.equal(
      (await nested.decide('private-x', { user: null })).reason,
      '"private-x": no signed-in user (rule reads user.plan)'
    )
    // A signed-in user missing a field keeps the error code, never user data
    assert.equal(
      (await nested.decide('private-x', { user: { plan: 'pro' } })).reason,
      '"private-x": condition `user.profile.role == \'a\'` errored (no_such_key)'
    )
    assert.isFalse((await examplePolicies.decide('private-team-7', { user: null })).allowed)
    assert.isTrue((await examplePolicies.decide('private-open', { user: null })).allowed)
  })

  test('a <x:uuid> param compares with a uuid user id as a lowercase string', async ({
    assert,
  }) => {
    const id = '0f8fad5b-d9cb-469f-a165-70867728950e'
    const owner = { id, role: 'user' }
    const channel = `private-user.${id}`
    const allowed = await examplePolicies.decide(channel, { user: owner })
    assert.deepEqual([allowed.allowed, allowed.pattern], [true, 'private-user.<id:uuid>'])
    assert.isFalse(
      (await examplePolicies.decide(channel, { user: { id: id.replace('0f', '1f') } })).allowed
    )
    // An uppercase uuid matches no pattern, and an uppercase user id never equals the param
    const upper = await examplePolicies.decide(`private-user.${id.toUpperCase()}`, {
      user: { id: id.toUpperCase() },
    })
    assert.deepEqual([upper.allowed, upper.pattern], [false, null])
    assert.isFalse(
      (await examplePolicies.decide(channel, { user: { id: id.toUpperCase() } })).allowed
    )
  })

  test('deny patterns and unmatched channels deny', async ({ assert }) => {
    const denied = await examplePolicies.decide('private-secret.1', { user: alice })
    assert.deepEqual([denied.allowed, denied.pattern], [false, 'private-secret.*'])
    const none = await examplePolicies.decide('private-nothing.here', { user: alice })
    assert.deepEqual(none, {
      allowed: false,
      pattern: null,
      reason: 'no policy pattern matches "private-nothing.here"',
      member: null,
      clientEvents: false,
    })
    assert.isFalse((await examplePolicies.decide('private-<x>', { user: alice })).allowed)
  })

  test('presence member has only mapped fields and a string id', async ({ assert }) => {
    const decision = await examplePolicies.decide('presence-chat.5', { user: alice })
    assert.isTrue(decision.allowed)
    assert.isTrue(decision.clientEvents)
    assert.deepEqual(decision.member, { id: '42', info: { name: 'Alice', role: 'admin' } })
    assert.notInclude(JSON.stringify(decision), 'hash')
  })

  test('member info over 1 KB and a non-id member id deny', async ({ assert }) => {
    const small = await examplePolicies.decide('presence-big', {
      user: { ...alice, bio: 'x'.repeat(900) },
    })
    assert.isTrue(small.allowed)
    const big = await examplePolicies.decide('presence-big', {
      user: { ...alice, bio: 'x'.repeat(1100) },
    })
    assert.isFalse(big.allowed)
    assert.match(big.reason, /member\.info is \d+ bytes of JSON, over the 1024-byte limit/)
    const bad = await examplePolicies.decide('presence-bad', { user: alice })
    assert.isFalse(bad.allowed)
    assert.include(bad.reason, 'member.id is not')
  })

  test('a class instance as user denies instead of throwing', async ({ assert }) => {
    class User {
      id = 42
    }
    const decision = await examplePolicies.decide('private-42', { user: new User() as any })
    assert.isFalse(decision.allowed)
    assert.include(decision.reason, 'errored')
  })

  test('userData maps the user for sign-in, null for guests', ({ assert }) => {
    assert.deepEqual(examplePolicies.userData(alice), { id: '42', info: { name: 'Alice' } })
    assert.isNull(examplePolicies.userData(null))
    assert.isNull(ChannelPolicies.fromSource('channels:\n').userData(alice))
  })

  test('list is in precedence order', ({ assert }) => {
    const patterns = ChannelPolicies.fromSource(
      'channels:\n  private-*:\n    deny: true\n  private-<u>:\n    allow: true\n  private-admins:\n    allow: user.role == "admin"\n'
    ).list()
    assert.deepEqual(
      patterns.map((p) => [p.pattern, p.kind, p.rule, p.line]),
      [
        ['private-admins', 'allow', 'user.role == "admin"', 6],
        ['private-<u>', 'allow', null, 4],
        ['private-*', 'deny', null, 2],
      ]
    )
  })
})

test.group('Policies | predicates', () => {
  const SOURCE_P = `channels:
  private-team.<teamId:int>:
    allow: user != null && isTeamMember(user, teamId)
  private-sync.<teamId>:
    allow: isOwner(user, teamId) || user.role == 'admin'
`
  test('async predicates run only when the cheap part did not decide', async ({ assert }) => {
    const calls: unknown[] = []
    const local = ChannelPolicies.fromSource(SOURCE_P, 'p.yaml', {
      predicates: {
        isTeamMember: async (_user, teamId) => {
          calls.push(teamId)
          return teamId === 3n
        },
        isOwner: (user, teamId) => user?.id === teamId,
      },
    })
    assert.isFalse((await local.decide('private-team.3', { user: null })).allowed)
    assert.deepEqual(calls, [])
    assert.isTrue((await local.decide('private-team.3', { user: { id: 1 } })).allowed)
    const denied = await local.decide('private-team.4', { user: { id: 1 } })
    assert.include(denied.reason, 'condition `isTeamMember(user, teamId)` is false')
    assert.deepEqual(calls, [3n, 4n])
    assert.isTrue((await local.decide('private-sync.a', { user: { id: 'a' } })).allowed)
    assert.isTrue(
      (await local.decide('private-sync.a', { user: { id: 'b', role: 'admin' } })).allowed
    )
  })

  test('a throwing, rejecting or non-boolean predicate denies', async ({ assert }) => {
    for (const predicate of [
      () => {
        throw new Error('db down: secret')
      },
      async () => {
        throw new Error('db down')
      },
      () => 'yes' as any,
    ]) {
      const local = ChannelPolicies.fromSource(SOURCE_P, 'p.yaml', {
        predicates: { isTeamMember: predicate, isOwner: () => false },
      })
      const decision = await local.decide('private-team.3', { user: { id: 1 } })
      assert.isFalse(decision.allowed)
      assert.include(decision.reason, 'errored')
      assert.notInclude(decision.reason, 'secret')
    }
  })

  test('define replaces a predicate loaded with the policies', async ({ assert }) => {
    const local = ChannelPolicies.fromSource(SOURCE_P, 'p.yaml', {
      predicates: { isTeamMember: () => false, isOwner: () => false },
    })
    assert.isFalse((await local.decide('private-team.3', { user: { id: 1 } })).allowed)
    local.define('isTeamMember', () => true)
    assert.isTrue((await local.decide('private-team.3', { user: { id: 1 } })).allowed)
  })
})
