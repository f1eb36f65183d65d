import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import User from '#models/user'
import { ChannelPolicies, PolicyError, PolicyService } from '../../../src/policies/main.ts'
import { resolveUserShape, shapeFromModel } from '../../../src/policies/user_shape.ts'
import { recordingLogger } from '../../helpers/broadcast.ts'

const shape = shapeFromModel(User)

function loadError(source: string, userShape = shape): PolicyError {
  try {
    ChannelPolicies.fromSource(source, 'policy.yaml', { userShape })
  } catch (error) {
    if (error instanceof PolicyError) return error
    throw error
  }
  throw new Error('expected a PolicyError')
}

test.group('Policies | rules type-checked against the User model', () => {
  test('the shape is what serialize() gives: serialized names, types, no hidden field', ({
    assert,
  }) => {
    assert.deepEqual(shape.fields, {
      id: 'int',
      fullName: 'string',
      email: 'string',
      role: 'string',
      online: 'bool',
      lastSeenAt: 'string',
      createdAt: 'string',
      updatedAt: 'string',
    })
    assert.deepEqual(shape.hidden, ['password'])
    const user = new User().merge({
      id: 1,
      fullName: 'a',
      email: 'e',
      role: 'basic',
      password: 'p',
    })
    assert.sameMembers(Object.keys(user.serialize()), ['id', 'fullName', 'email', 'role'])
  })

  test('{title}')
    .with([
      {
        title: 'a misspelt field, with "did you mean"',
        source: "channels:\n  private-admins:\n    allow: user.rol == 'admin'\n",
        at: [3, 17],
        message: 'user has no field "rol" in the User model',
        hint: 'did you mean user.role?',
      },
      {
        title: 'a snake_case name for a camelCase field',
        source:
          'channels:\n  presence-x:\n    allow: user != null\n    member: { id: user.id, info: { name: user.full_name } }\n',
        at: [4, 47],
        message: 'presence-x: member: user has no field "full_name"',
        hint: 'did you mean user.fullName?',
      },
      {
        title: 'an id compared with text that is never an id',
        source: "channels:\n  private-a:\n    allow: user != null && user.id == 'abc'\n",
        at: [3, 39],
        message: "user.id is a number (int) in the User model, compared with 'abc': never equal",
        hint: 'canonical decimal text',
      },
      {
        title: 'a string field compared with a number',
        source: 'channels:\n  private-a:\n    allow: user.role == 1\n',
        at: [3, 25],
        message: 'user.role is a string in the User model, compared with 1: never equal',
        hint: "quote it: user.role == '1'",
      },
      {
        title: 'a field hidden from serialization',
        source: "channels:\n  private-a:\n    allow: user.password != ''\n",
        at: [3, 17],
        message: 'user.password is hidden from serialization (serializeAs: null)',
        hint: 'serialized user',
      },
      {
        title: 'has() of a field the model does not have',
        source: 'channels:\n  private-a:\n    allow: has(user.teamIds)\n',
        at: [3, 21],
        message: 'user has no field "teamIds"',
        hint: 'policies.user.fields',
      },
      {
        title: 'an index read with a typo, in the sign-in mapping',
        source: "user:\n  id: user['idd']\n",
        at: [2, 12],
        message: 'user: user has no field "idd"',
        hint: 'did you mean user.id?',
      },
      {
        title: 'a bool compared with a string field',
        source: 'channels:\n  private-a:\n    allow: user.email == true\n',
        at: [3, 12],
        message: 'no such overload: string == bool',
        hint: 'the User model',
      },
    ])
    .run(({ assert }, { source, at, message, hint }) => {
      const error = loadError(source)
      assert.deepEqual([error.line, error.column], at)
      assert.include(error.message, `policy.yaml:${at[0]}:${at[1]}: `)
      assert.include(error.message, message)
      assert.include(error.hint, hint)
    })

  test('what the model allows still loads: null checks, ids as text, int params', ({ assert }) => {
    assert.doesNotThrow(() =>
      ChannelPolicies.fromSource(
        [
          'channels:',
          '  private-<userId>:',
          "    allow: user != null && user.id == userId && user.id == '42' || user.updatedAt == null",
          '  private-room.<roomId:int>:',
          '    allow: user.id == roomId && user.id != 1.5 && has(user.email)',
        ].join('\n'),
        'policy.yaml',
        { userShape: shape }
      )
    )
    const error = loadError('channels:\n  private-t.<t:int>:\n    allow: user.role == t + 1.0\n')
    assert.include(error.message, 'no such overload: int + double')
  })

  test('predicates, matches() and macros type-check with a typed user', ({ assert }) => {
    const policies = ChannelPolicies.fromSource(
      [
        'channels:',
        '  private-team.<teamId:int>:',
        "    allow: isMember(user, teamId) && user.email.matches('^[a-z]+@') && [1, 2].exists(n, n == user.id)",
      ].join('\n'),
      'p.yaml',
      { userShape: shape, predicates: { isMember: () => true } }
    )
    assert.lengthOf(policies.list(), 1)
  })

  test("the demo app's policy files pass, with the fields its config declares", async ({
    assert,
  }) => {
    // As "policies.user" in config/broadcast.ts: the model and "teamIds", which serializeUser adds
    const userShape = await resolveUserShape({
      model: () => import('#models/user'),
      fields: { teamIds: 'list<int>' },
    })
    const policies = await ChannelPolicies.load(app.makePath('policies'), { userShape })
    assert.isAbove(policies.list().length, 0)
  })

  test('decisions are the same with and without the shape', async ({ assert }) => {
    const source = 'channels:\n  private-<userId>:\n    allow: user.id == userId\n'
    const typed = ChannelPolicies.fromSource(source, 'p.yaml', { userShape: shape })
    const plain = ChannelPolicies.fromSource(source, 'p.yaml')
    for (const channel of ['private-42', 'private-042', 'private-7']) {
      const context = { user: { id: 42, role: 'basic' } }
      assert.deepEqual(await typed.decide(channel, context), await plain.decide(channel, context))
    }
  })

  test('a declared shape types apps without Lucid, and extends a model', async ({ assert }) => {
    const declared = (await resolveUserShape({ fields: { id: 'string', teamIds: 'list<int>' } }))!
    assert.doesNotThrow(() =>
      ChannelPolicies.fromSource(
        'channels:\n  private-team.<t:int>:\n    allow: t in user.teamIds\n',
        'p.yaml',
        { userShape: declared }
      )
    )
    assert.include(
      loadError('channels:\n  private-a:\n    allow: user.role == "x"\n', declared).message,
      'user has no field "role" in policies.user.fields'
    )

    const extended = (await resolveUserShape({
      model: () => import('#models/user'),
      fields: { teamIds: 'list<int>' },
    }))!
    assert.equal(extended.source, 'the User model and policies.user.fields')
    assert.equal(extended.fields.teamIds, 'list<int>')
    assert.equal(extended.fields.role, 'string')

    assert.throws(
      () =>
        ChannelPolicies.fromSource('channels: {}', 'p.yaml', {
          userShape: { source: 'policies.user.fields', fields: { n: 'integer' }, hidden: [] },
        }),
      /Invalid type "integer" for user\.n in policies\.user\.fields/
    )
  })

  test('the policy service refuses to load a misspelt field (the boot error)', async ({
    assert,
    fs,
  }) => {
    await fs.create('typo/channels.yaml', "channels:\n  private-a:\n    allow: user.rol == 'a'\n")
    const service = new PolicyService(
      {
        path: `${fs.basePath}/typo`,
        watch: false,
        predicates: {},
        user: { model: () => import('#models/user') },
      },
      recordingLogger().logger
    )
    const error = await service.load().then(
      () => null,
      (reason: Error) => reason
    )
    assert.match(error?.message ?? '', /channels\.yaml:3:17: private-a: user has no field "rol"/)

    const unchecked = new PolicyService(
      { path: `${fs.basePath}/typo`, watch: false, predicates: {} },
      recordingLogger().logger
    )
    await assert.doesNotReject(() => unchecked.load())
  })
})
