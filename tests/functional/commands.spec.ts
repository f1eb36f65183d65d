import { test } from '@japa/runner'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import app from '@adonisjs/core/services/app'
import User from '#models/user'
import BroadcastCheck from '../../commands/broadcast_check.ts'
import BroadcastPolicies from '../../commands/broadcast_policies.ts'
import BroadcastTest from '../../commands/broadcast_test.ts'
import { checkPolicy } from '../../src/policies/check.ts'
import { ChannelPolicies } from '../../src/policies/main.ts'

async function run(argv: string[]) {
  const ace = await app.container.make('ace')
  ace.ui.switchMode('raw')
  const command = await ace.create(BroadcastCheck, argv)
  await command.exec()
  const logs = command.ui.logger.getLogs().map((log) => log.message)
  return { exitCode: command.exitCode, logs }
}

test.group('broadcast:check', () => {
  test('--user-id loads the user through the auth provider: admin allowed', async ({ assert }) => {
    const admin = await User.findByOrFail('email', 'admin@example.com')
    const { exitCode, logs } = await run(['private-admins', `--user-id=${admin.id}`, '--json'])

    assert.equal(exitCode, 0)
    const decision = JSON.parse(logs[0])
    assert.deepEqual(Object.keys(decision), [
      'allowed',
      'pattern',
      'reason',
      'member',
      'clientEvents',
    ])
    assert.isTrue(decision.allowed)
    assert.equal(decision.pattern, 'private-admins')
  })

  test('a basic user is denied with exit code 1 and the failed condition', async ({ assert }) => {
    const basic = await User.findByOrFail('email', 'basic@example.com')
    const { exitCode, logs } = await run(['private-admins', `--user-id=${basic.id}`, '--json'])

    assert.equal(exitCode, 1)
    const decision = JSON.parse(logs[0])
    assert.isFalse(decision.allowed)
    assert.include(decision.reason, "user.role == 'admin'")
  })

  test('--user takes a JSON snapshot; the presence member holds mapped fields only', async ({
    assert,
  }) => {
    const user = JSON.stringify({ id: 7, fullName: 'Zed', role: 'basic', password: 'hash' })
    const { exitCode, logs } = await run(['presence-chat.3', `--user=${user}`, '--json'])

    assert.equal(exitCode, 0)
    const decision = JSON.parse(logs[0])
    assert.deepEqual(decision.member, { id: '7', info: { name: 'Zed', role: 'basic' } })
    assert.isTrue(decision.clientEvents)
  })

  test('no user means a guest, denied', async ({ assert }) => {
    const { exitCode } = await run(['private-admins', '--json'])
    assert.equal(exitCode, 1)
  })

  test('a public channel is allowed without a policy, and says why', async ({ assert }) => {
    // Was "allowed: false" with "no policy pattern matches"
    const { exitCode, logs } = await run(['releases', '--json'])
    assert.equal(exitCode, 0)
    assert.deepEqual(JSON.parse(logs[0]), {
      allowed: true,
      pattern: null,
      reason:
        '"releases" is a public channel: public channels need no authorization, anyone may subscribe',
      member: null,
      clientEvents: false,
    })
  })

  test('a policy error exits 2 with file:line:col', async ({ assert, fs }) => {
    await fs.create(
      'bad/channels.yaml',
      'channels:\n  private-admins:\n    allow: user.role == admin\n'
    )
    const { exitCode, logs } = await run([
      'private-admins',
      `--policies=${fs.basePath}/bad/channels.yaml`,
    ])
    assert.equal(exitCode, 2)
    assert.match(logs.join('\n'), /channels\.yaml:3:25: .*Unknown variable: admin/)
    assert.include(logs.join('\n'), "'admin'")
  })
})

test.group('broadcast:policies', () => {
  test('lists the patterns in the order they are tried', async ({ assert }) => {
    const ace = await app.container.make('ace')
    ace.ui.switchMode('raw')
    const command = await ace.create(BroadcastPolicies, [])
    await command.exec()
    command.assertSucceeded()

    const output = command.ui.logger
      .getLogs()
      .map((log) => log.message)
      .join('\n')
    const order = ['presence-chat.<roomId:int>', 'private-admins', 'private-<userId>'].map(
      (pattern) => output.indexOf(pattern)
    )
    assert.isTrue(order.every((position) => position >= 0))
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      order
    )
  })

  test('a rule reading a field the User model lacks exits 2 with position and hint', async ({
    assert,
    fs,
  }) => {
    await fs.create(
      'typo/channels.yaml',
      "channels:\n  private-admins:\n    allow: user.rol == 'admin'\n"
    )
    const ace = await app.container.make('ace')
    ace.ui.switchMode('raw')
    for (const Command of [BroadcastPolicies, BroadcastCheck]) {
      const argv = [`--policies=${fs.basePath}/typo`]
      const command = await ace.create(Command, Command === BroadcastCheck ? ['x', ...argv] : argv)
      await command.exec()
      const output = command.ui.logger
        .getLogs()
        .map((log) => log.message)
        .join('\n')
      assert.equal(command.exitCode, 2)
      assert.match(output, /channels\.yaml:3:17: private-admins: user has no field "rol"/)
      assert.include(output, 'did you mean user.role?')
    }
  })
})

test.group('broadcast:policies --check', () => {
  async function check(argv: string[]) {
    const ace = await app.container.make('ace')
    ace.ui.switchMode('raw')
    const command = await ace.create(BroadcastPolicies, ['--check', ...argv])
    await command.exec()
    const output = command.ui.logger
      .getLogs()
      .map((log) => log.message)
      .join('\n')
    return { exitCode: command.exitCode, output }
  }

  test("silent on the demo's policies", async ({ assert }) => {
    const { exitCode, output } = await check([])
    assert.equal(exitCode, 0)
    assert.include(output, 'no warnings')
    assert.notMatch(output, /never decides|shadowed|always (true|false)|member mapping reads/)
  })

  test('warns about a shadowed deny at its position, and exits 0', async ({ assert, fs }) => {
    await fs.create(
      'shadow/channels.yaml',
      'channels:\n  private-a<x>:\n    allow: user != null\n  private-<y>b:\n    deny: true\n'
    )
    const { exitCode, output } = await check([`--policies=${fs.basePath}/shadow`])
    assert.equal(exitCode, 0)
    assert.match(
      output,
      /channels\.yaml:4:3: deny on "private-<y>b" is shadowed by the more specific allow "private-a<x>"/
    )
    assert.include(output, '1 warning(s)')
  })
})

test.group('broadcast:test', () => {
  async function runTests(argv: string[]) {
    const ace = await app.container.make('ace')
    ace.ui.switchMode('raw')
    const command = await ace.create(BroadcastTest, argv)
    await command.exec()
    const output = command.ui.logger
      .getLogs()
      .map((log) => log.message)
      .join('\n')
    return { exitCode: command.exitCode, output }
  }

  test("the demo's policy tests pass and reach every pattern and branch", async ({ assert }) => {
    const { exitCode, output } = await runTests([])
    assert.equal(exitCode, 0)
    assert.include(output, 'coverage: 6/6 patterns, 13/13 rule branches')
    assert.include(output, '13 passed, 0 failed (13 cases in 1 files)')
  })

  test('a failing case exits 1 with the deciding pattern and the reason', async ({
    assert,
    fs,
  }) => {
    await fs.create(
      'cases/wrong.test.yaml',
      [
        'tests:',
        '  - name: a guest is wrongly expected in',
        '    user: null',
        '    channel: private-admins',
        '    expect: allow',
      ].join('\n')
    )
    const { exitCode, output } = await runTests([`--tests=${fs.basePath}/cases`])
    assert.equal(exitCode, 1)
    assert.match(output, /a guest is wrongly expected in \(.*wrong\.test\.yaml:2:5\)/)
    assert.include(output, 'expected allow, got deny')
    assert.include(output, 'pattern: private-admins')
    assert.include(output, 'no signed-in user (rule reads user.role)')
    assert.include(output, 'coverage: 1/6 patterns, 1/13 rule branches')
    assert.match(output, /pattern never decided: private-<userId> \(policies\/channels\.yaml:11\)/)
    assert.include(output, '0 passed, 1 failed')
  })

  test('a test user with a field the User model lacks is a warning', async ({ assert, fs }) => {
    await fs.create(
      'typo/a.test.yaml',
      'tests:\n  - { user: { id: 1, rol: admin }, channel: private-admins, expect: deny }\n'
    )
    const { exitCode, output } = await runTests([`--tests=${fs.basePath}/typo`])
    assert.equal(exitCode, 0)
    assert.match(output, /a\.test\.yaml:2:13: test user has "rol", .*did you mean "role"/)
  })

  test('a test file with no cases fails, naming the file', async ({ assert, fs }) => {
    // An empty file alone printed "0 passed" and exited 0
    await fs.create('empty/a.test.yaml', 'tests:\n  - { channel: private-admins, expect: deny }\n')
    await fs.create('empty/b.test.yaml', 'tests: []\n')
    const { exitCode, output } = await runTests([`--tests=${fs.basePath}/empty`])
    assert.equal(exitCode, 2)
    assert.match(
      output,
      /b\.test\.yaml:1:8: "tests" is empty: a policy test file needs at least one case/
    )
    assert.notInclude(output, 'passed')
  })

  test('a public channel passes "expect: allow"; "expect: deny" fails and says why', async ({
    assert,
    fs,
  }) => {
    await fs.create(
      'public/a.test.yaml',
      [
        'tests:',
        '  - { user: null, channel: releases, expect: allow }',
        '  - { user: null, channel: releases, expect: deny }',
      ].join('\n')
    )
    const { exitCode, output } = await runTests([`--tests=${fs.basePath}/public`])
    assert.equal(exitCode, 1)
    assert.include(output, 'deny null on releases')
    assert.include(
      output,
      'expected deny, but "releases" is a public channel: public channels are never authorized'
    )
    assert.include(output, '1 passed, 1 failed')
  })

  test('a bad test file exits 2 with its position', async ({ assert, fs }) => {
    await fs.create('bad/a.test.yaml', 'tests:\n  - { channel: private-admins, expect: yes }\n')
    const { exitCode, output } = await runTests([`--tests=${fs.basePath}/bad`])
    assert.equal(exitCode, 2)
    assert.match(output, /a\.test\.yaml:2:40: "expect" is "allow" or "deny"/)
  })
})

test.group('node ace, as typed in this repository', () => {
  test('runs the package commands from the sources, without a build or node flags', async ({
    assert,
  }) => {
    // A plain "node ace": no --conditions flag, and no build/ folder needed
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['ace', 'broadcast:check', 'private-admins', '--json'],
      { cwd: new URL('../../', import.meta.url) }
    ).catch((error) => error)
    const decision = JSON.parse(stdout)
    assert.isFalse(decision.allowed)
    assert.equal(decision.pattern, 'private-admins')
  }).timeout(30_000)
})

test.group('broadcast:policies output', () => {
  test('NO_COLOR=1 leaves no escape codes in the table', async ({ assert }) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }
    delete env.FORCE_COLOR
    const { stdout } = await promisify(execFile)(process.execPath, ['ace', 'broadcast:policies'], {
      cwd: new URL('../../', import.meta.url),
      env,
    })
    assert.include(stdout, 'private-admins')
    assert.include(stdout, 'Pattern')
    assert.notInclude(stdout, '\u001b[')
  }).timeout(30_000)
})

test.group('checkPolicy test helper', () => {
  test('snapshots a Lucid user like the auth route does', async ({ assert }) => {
    const policies = await ChannelPolicies.load(app.makePath('policies'))
    const admin = await User.findByOrFail('email', 'admin@example.com')
    const basic = await User.findByOrFail('email', 'basic@example.com')

    assert.isTrue((await checkPolicy(policies, admin, 'private-admins')).allowed)
    assert.isFalse((await checkPolicy(policies, basic, 'private-admins')).allowed)
    assert.isTrue((await checkPolicy(policies, basic, `private-${basic.id}`)).allowed)
    // As the server: a public channel needs no policy
    assert.isTrue((await checkPolicy(policies, null, 'releases')).allowed)

    const presence = await checkPolicy(policies, basic, 'presence-chat.1')
    assert.notInclude(JSON.stringify(presence.member), basic.password)

    // The app's policy service works as well as loaded policies
    const service = await app.container.make('broadcast.policies')
    assert.isTrue((await checkPolicy(service, admin, 'private-admins')).allowed)
    assert.isFalse((await checkPolicy(service, null, 'presence-chat.1')).allowed)
  })
})
