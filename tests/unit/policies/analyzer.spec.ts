import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import User from '#models/user'
import { ChannelPolicies } from '../../../src/policies/main.ts'
import { analyzePolicies } from '../../../src/policies/analyzer/analyze.ts'
import { compilePattern } from '../../../src/policies/pattern.ts'
import { patternAutomaton } from '../../../src/policies/analyzer/pattern_automaton.ts'
import { findWitness } from '../../../src/policies/analyzer/witness.ts'
import { shapeFromModel, type UserShape } from '../../../src/policies/user_shape.ts'

function warnings(lines: string[], userShape: UserShape | null = null) {
  const policies = ChannelPolicies.fromSource(lines.join('\n'), 'p.yaml', { userShape })
  return analyzePolicies(policies.analysisInput()).map(
    ({ position, message }) => `${position.line}:${position.column}: ${message}`
  )
}

const automaton = (source: string) => patternAutomaton(compilePattern(source))

test.group('Policies | analyzer', () => {
  test('a pattern whose every name a more specific one takes never decides', ({ assert }) => {
    // A uuid starts with a hex digit: one literal pattern per digit takes them all
    const hex = '0123456789abcdef'.split('')
    const lines = ['channels:', '  private-<id:uuid>:', '    allow: user != null']
    for (const digit of hex) lines.push(`  private-${digit}*:`, '    deny: true')
    assert.deepEqual(warnings(lines), [
      '2:3: "private-<id:uuid>" never decides: every channel it matches is decided first by "private-0*" (p.yaml:4), "private-1*" (p.yaml:6), "private-2*" (p.yaml:8) and 13 more',
    ])

    // Without one of them, it decides the uuids starting with that digit
    assert.deepEqual(warnings(lines.slice(0, -2)), [])
  })

  test('a catch-all after a placeholder still decides names with dots and dashes', ({ assert }) => {
    assert.deepEqual(
      warnings([
        'channels:',
        '  private-<userId>:',
        '    allow: user.id == userId',
        '  private-*:',
        '    deny: true',
      ]),
      []
    )
  })

  test('patterns that only overlap, or that carve exceptions out of a deny, are fine', ({
    assert,
  }) => {
    assert.deepEqual(
      warnings([
        'channels:',
        '  private-team.<id:int>:',
        '    allow: user != null',
        '  private-team.<slug>:',
        '    allow: user.role == slug',
        '  private-archive.<id:int>:',
        '    allow: user != null',
        '  private-archive.*:',
        '    deny: true',
      ]),
      []
    )
  })

  test('a deny a more specific allow reaches past is shadowed, with an example', ({ assert }) => {
    assert.deepEqual(
      warnings([
        'channels:',
        '  private-a<x>:',
        '    allow: user != null',
        '  private-<y>b:',
        '    deny: true',
      ]),
      [
        '4:3: deny on "private-<y>b" is shadowed by the more specific allow "private-a<x>" (p.yaml:2): e.g. "private-ab" is decided by the allow',
      ]
    )
  })

  test('constant rules and conditions', ({ assert }) => {
    assert.deepEqual(
      warnings([
        'channels:',
        '  private-a:',
        '    allow: 1 == 1',
        '  private-b:',
        '    allow: user != null && user.id == user.id',
        "  private-c:\n    allow: user != null && 'x' == 'y'",
      ]),
      [
        '3:12: "private-a": the rule is always true, whoever asks',
        '5:12: "private-b": the condition `user.id == user.id` is always true, whoever asks',
        "7:12: \"private-c\": the condition `'x' == 'y'` is always false, whoever asks",
      ]
    )
  })

  test('a member mapping reading a relation, present only when preloaded', ({ assert }) => {
    const shape: UserShape = { ...shapeFromModel(User), optional: ['team'] }
    shape.fields.team = 'dyn'
    assert.deepEqual(
      warnings(
        [
          'channels:',
          '  presence-room:',
          '    allow: user != null',
          '    member: { id: user.id, info: { team: user.team } }',
        ],
        shape
      ),
      [
        '4:42: "presence-room": the member mapping reads user.team, a relation of the User model present only when preloaded',
      ]
    )
  })

  test('a rule reading a relation, unless it tests has() first', ({ assert }) => {
    // Only member mappings were warned about
    const shape: UserShape = { ...shapeFromModel(User), optional: ['team'] }
    shape.fields.team = 'dyn'
    assert.deepEqual(
      warnings(
        [
          'channels:',
          '  private-team.<id:int>:',
          '    allow: user != null && user.team.id == id',
          '  private-guarded.<id:int>:',
          '    allow: has(user.team) && user.team.id == id',
          '  presence-room:',
          '    allow: user != null',
          '    member: { id: user.id, info: { team: "has(user.team) ? user.team : null" } }',
        ],
        shape
      ),
      [
        '3:12: "private-team.<id:int>": the rule reads user.team, a relation of the User model present only when preloaded (without it the rule denies)',
      ]
    )
  })

  test("silent on the demo app's policies", async ({ assert }) => {
    const policies = await (await app.container.make('broadcast.policies')).load()
    assert.deepEqual(analyzePolicies(policies.analysisInput()), [])
  })

  test('the witness search follows the matcher: ints, uuids, placeholders', ({ assert }) => {
    assert.equal(findWitness([automaton('private-<x:int>')], []), 'private-0')
    assert.isNull(findWitness([automaton('private-<x:int>')], [automaton('private-<y>')]))
    assert.equal(
      findWitness([automaton('private-<y>')], [automaton('private-<x:int>')]),
      'private-A'
    )
    assert.isNull(findWitness([automaton('private-<x:uuid>')], [automaton('private-*')]))
    assert.isString(findWitness([automaton('private-*')], [automaton('private-<x:uuid>')]))
    const compiled = compilePattern('private-<x:uuid>')
    const uuid = findWitness([patternAutomaton(compiled)], []) as string
    assert.match(uuid, /^private-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
  })
})
