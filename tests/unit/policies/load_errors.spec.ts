import { test } from '@japa/runner'
import { ChannelPolicies, PolicyError } from '../../../src/policies/main.ts'

function loadError(source: string): PolicyError {
  try {
    ChannelPolicies.fromSource(source, 'policy.yaml')
  } catch (error) {
    if (error instanceof PolicyError) return error
    throw error
  }
  throw new Error('expected a PolicyError')
}

test.group('Policies | load errors', () => {
  test('{title}')
    .with([
      {
        title: 'an unquoted word suggests quoting it',
        source: 'channels:\n  private-admins:\n    allow: user.role == admin\n',
        at: [3, 25],
        message: 'private-admins: Unknown variable: admin',
        hint: "quote it: 'admin'",
      },
      {
        title: 'a syntax error in a double-quoted multi-line scalar',
        source: 'channels:\n  private-admins:\n    allow: "user.role ==\n      \'admin"\n',
        at: [4, 7],
        message: 'Unterminated string',
        hint: 'close the string',
      },
      {
        title: 'a type error in a block scalar',
        source:
          'channels:\n  private-<userId>:\n    allow: |\n      user != null &&\n        userId + 1 == 2\n',
        at: [5, 9],
        message: 'no such overload: string + int',
        hint: undefined,
      },
      {
        title: 'a single-quoted scalar with an escaped quote',
        source: "channels:\n  private-a:\n    allow: 'user.x == ''b'' && nope'\n",
        at: [3, 32],
        message: 'Unknown variable: nope',
        hint: "'nope'",
      },
      {
        title: 'an unknown predicate names policies.define',
        source: 'channels:\n  private-a:\n    allow: user != null && isX(user)\n',
        at: [3, 28],
        message: 'unknown function "isX"',
        hint: "policies.define('isX'",
      },
      {
        title: 'a param of another pattern is unknown',
        source: 'channels:\n  private-<a>:\n    allow: user.id == b\n',
        at: [3, 23],
        message: 'Unknown variable: b',
        hint: 'Known names: user, channel, socketId, a',
      },
      {
        title: 'a rule that is not a condition',
        source: 'channels:\n  private-a:\n    allow: "1 + 2"\n',
        at: [3, 13],
        message: 'rule must be a condition (bool)',
        hint: 'e.g.',
      },
      {
        title: 'an unknown key in a channel',
        source: 'channels:\n  private-a:\n    allow: true\n    clientevents: true\n',
        at: [4, 5],
        message: 'unknown key "clientevents" in "private-a"',
        hint: 'allowed keys: allow, deny, member, clientEvents',
      },
      {
        title: 'an unknown top-level key',
        source: 'channel:\n  private-a:\n    allow: true\n',
        at: [1, 1],
        message: 'unknown key "channel"',
        hint: '"channels" and "user"',
      },
      {
        title: 'an unknown key in member',
        source:
          'channels:\n  presence-a:\n    allow: true\n    member: { id: user.id, name: user.name }\n',
        at: [4, 28],
        message: 'unknown key "name"',
        hint: 'id, info',
      },
      {
        title: 'an invalid pattern points inside the key',
        source: 'channels:\n  private-<userId:hex>:\n    allow: true\n',
        at: [2, 19],
        message: 'unknown placeholder type "hex"',
        hint: '<name:int>',
      },
      {
        title: 'a public pattern',
        source: 'channels:\n  releases:\n    allow: true\n',
        at: [2, 3],
        message: 'must start with "private-" or "presence-"',
        hint: 'public channels need no authorization',
      },
      {
        title: 'a presence pattern without member',
        source: 'channels:\n  presence-room:\n    allow: user != null\n',
        at: [2, 3],
        message: 'needs a "member" mapping',
        hint: 'member:',
      },
      {
        title: 'member on a private pattern',
        source: 'channels:\n  private-room:\n    allow: true\n    member: { id: user.id }\n',
        at: [4, 5],
        message: '"member" is only used on presence channels',
        hint: undefined,
      },
      {
        title: 'allow and deny together',
        source: 'channels:\n  private-a:\n    allow: true\n    deny: true\n',
        at: [4, 5],
        message: 'has both "allow" and "deny"',
        hint: undefined,
      },
      {
        title: 'a bad member expression',
        source:
          'channels:\n  presence-a:\n    allow: true\n    member: { id: user.id, info: { n: usr.name } }\n',
        at: [4, 39],
        message: 'presence-a: member: Unknown variable: usr',
        hint: undefined,
      },
      {
        title: 'a rule over 4 KB',
        source: `channels:\n  private-a:\n    allow: ${'user.a == 1 || '.repeat(300)}true\n`,
        at: [3, 4108],
        message: 'rule is longer than 4096 characters',
        hint: undefined,
      },
      {
        title: 'a duplicate pattern in one file',
        source: 'channels:\n  private-<a>:\n    allow: true\n  private-<b>:\n    allow: true\n',
        at: [4, 3],
        message:
          'duplicate pattern "private-<b>": "private-<a>" is already defined at policy.yaml:2',
        hint: undefined,
      },
      {
        title: 'invalid YAML',
        source: 'channels:\n  private-a: [\n',
        at: [3, 1],
        message: 'invalid YAML',
        hint: undefined,
      },
    ])
    .run(({ assert }, { source, at, message, hint }) => {
      const error = loadError(source)
      assert.include(error.message, message)
      assert.deepEqual([error.line, error.column], at)
      assert.match(error.message, new RegExp(`^policy\\.yaml:${at[0]}:${at[1]}: `))
      if (hint) assert.include(error.hint, hint)
    })
})
