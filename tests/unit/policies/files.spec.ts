import { test } from '@japa/runner'
import { mkdtemp, mkdir, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ChannelPolicies, PolicyError, watchPolicies } from '../../../src/policies/main.ts'
import { loadPolicyTests } from '../../../src/testing/policies/load_tests.ts'

async function folder(files: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), 'policies-'))
  for (const [name, source] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true })
    await writeFile(join(dir, name), source)
  }
  return dir
}

test.group('Policies | files', (group) => {
  const dirs: string[] = []
  group.each.teardown(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
  })

  test('merges every yaml file of a folder, recursively', async ({ assert }) => {
    const dir = await folder({
      'a.yaml': 'channels:\n  private-a:\n    allow: true\n',
      'nested/b.yml': 'channels:\n  private-b:\n    allow: true\n',
      'notes.txt': 'ignored',
    })
    dirs.push(dir)
    const policies = await ChannelPolicies.load(dir)
    assert.isTrue((await policies.decide('private-a', { user: null })).allowed)
    assert.isTrue((await policies.decide('private-b', { user: null })).allowed)
    assert.equal(
      policies.list().find((p) => p.pattern === 'private-b')!.file,
      join(dir, 'nested/b.yml')
    )
  })

  test('a duplicate pattern across files names both places', async ({ assert }) => {
    const dir = await folder({
      'a.yaml': 'channels:\n  private-<userId>:\n    allow: true\n',
      'b.yaml': '# b\nchannels:\n  private-<id>:\n    allow: false_rule\n',
    })
    dirs.push(dir)
    const error = await ChannelPolicies.load(dir).catch((e) => e)
    assert.instanceOf(error, PolicyError)
    assert.equal(error.file, join(dir, 'b.yaml'))
    assert.deepEqual([error.line, error.column], [3, 3])
    assert.include(error.message, `already defined at ${join(dir, 'a.yaml')}:2`)
  })

  test('a file over 2 MiB is refused before it is read, policy or test file', async ({
    assert,
  }) => {
    const dir = await folder({ 'a.yaml': 'channels:\n  private-a:\n    allow: true\n' })
    dirs.push(dir)
    // Sparse, 3 GiB: reading it would fail with an fs error, not a PolicyError
    for (const name of ['huge.yaml', 'huge.test.yaml']) {
      await writeFile(join(dir, name), '')
      await truncate(join(dir, name), 3 * 2 ** 30)
    }

    for (const load of [() => ChannelPolicies.load(dir), () => loadPolicyTests(dir)]) {
      const error = await load().catch((e) => e)
      assert.instanceOf(error, PolicyError)
      assert.match(error.file, /huge(\.test)?\.yaml$/)
      assert.include(error.message, ':1:1: the file is 3221225472 bytes, over the 2097152-byte')
    }
  })

  test('a missing path fails with a PolicyError', async ({ assert }) => {
    const error = await ChannelPolicies.load('/nonexistent/policies').catch((e) => e)
    assert.instanceOf(error, PolicyError)
  })

  test('hot reload applies a valid edit and keeps the last good one on an invalid edit', async ({
    assert,
  }) => {
    const dir = await folder({ 'channels.yaml': 'channels:\n  private-a:\n    allow: true\n' })
    dirs.push(dir)
    const file = join(dir, 'channels.yaml')
    let current = await ChannelPolicies.load(file)
    const errors: PolicyError[] = []
    let changes = 0
    const next = () =>
      new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          if (changes + errors.length > seen) {
            seen = changes + errors.length
            clearInterval(timer)
            resolve()
          }
        }, 20)
      })
    let seen = 0
    const stop = watchPolicies(
      file,
      (policies) => {
        current = policies
        changes++
      },
      (error) => errors.push(error)
    )
    await new Promise((resolve) => setTimeout(resolve, 100))

    await writeFile(file, 'channels:\n  private-b:\n    allow: true\n')
    await next()
    assert.isTrue((await current.decide('private-b', { user: null })).allowed)

    await writeFile(file, 'channels:\n  private-c:\n    allow: user.role == admin\n')
    await next()
    assert.lengthOf(errors, 1)
    assert.match(errors[0].message, /channels\.yaml:3:25: private-c: Unknown variable: admin/)
    assert.isTrue((await current.decide('private-b', { user: null })).allowed)
    stop()
  }).timeout(5000)
})
