import { test } from '@japa/runner'
import { mkdir, rename, rm, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import type { ChannelPolicies } from '../../src/policies/main.ts'
import { PolicyService } from '../../src/policies/policy_service.ts'
import { watchPolicies } from '../../src/policies/watch.ts'
import { recordingLogger } from '../helpers/broadcast.ts'

const ADMINS_ONLY = "channels:\n  private-admins:\n    allow: user.role == 'admin'\n"
const EVERYONE = 'channels:\n  private-admins:\n    allow: user != null\n'
const BROKEN = 'channels:\n  private-admins:\n    allow: user.role == admin\n'

async function allowedFor(policies: PolicyService, role: string) {
  const decision = await policies.decide('private-admins', { user: { id: 1, role } })
  return decision.allowed
}

async function waitFor(check: () => Promise<boolean>, ms: number) {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check()) return true
    await sleep(25)
  }
  return false
}

test.group('Policies | hot reload through the policy service', () => {
  test('a valid edit applies within a second; an invalid one keeps the last good policy', async ({
    assert,
    fs,
    cleanup,
  }) => {
    await fs.create('watched/channels.yaml', ADMINS_ONLY)
    const { logger, entries } = recordingLogger()
    const policies = new PolicyService(
      { path: `${fs.basePath}/watched`, watch: true, predicates: {} },
      logger
    )
    cleanup(() => policies.close())

    assert.isFalse(await allowedFor(policies, 'basic'))
    policies.watch()
    await sleep(100)

    await fs.create('watched/channels.yaml', EVERYONE)
    assert.isTrue(
      await waitFor(() => allowedFor(policies, 'basic'), 1000),
      'edit not applied in 1 s'
    )

    await fs.create('watched/channels.yaml', BROKEN)
    const reported = await waitFor(async () => entries.some((e) => e.level === 'error'), 1000)
    assert.isTrue(reported, 'invalid edit not logged')
    const message = String(entries.find((e) => e.level === 'error')!.args[0])
    assert.match(message, /channels\.yaml:3:25: .*Unknown variable: admin/)
    assert.isTrue(await allowedFor(policies, 'basic'), 'the last good policy must stay')
  }).timeout(10_000)
})

/**
 * Watches `dir` and exposes the latest policies and the errors reported
 */
function watched(dir: string, cleanup: (fn: () => void) => void) {
  const state = { policies: null as ChannelPolicies | null, errors: [] as string[] }
  const stop = watchPolicies(
    dir,
    (policies) => (state.policies = policies),
    (error) => state.errors.push(error.message)
  )
  cleanup(stop)
  return state
}

async function allowed(state: { policies: ChannelPolicies | null }, channel: string) {
  if (!state.policies) return false
  return (await state.policies.decide(channel, { user: { id: 1, role: 'basic' } })).allowed
}

const allowEveryone = (channel: string) => `channels:\n  ${channel}:\n    allow: user != null\n`
const denyEveryone = (channel: string) => `channels:\n  ${channel}:\n    deny: true\n`

test.group('Policies | hot reload survives how editors and people change files', (group) => {
  let dir: string
  group.each.setup(async () => {
    dir = join(fileURLToPath(new URL('../tmp/', import.meta.url)), `reload-${Date.now()}`)
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'channels.yaml'), denyEveryone('private-a'))
    return () => rm(dir, { recursive: true, force: true })
  })

  test('a file replaced by rename (an editor save), again and again', async ({
    assert,
    cleanup,
  }) => {
    const state = watched(dir, cleanup)
    await sleep(150)
    for (const [round, content] of [allowEveryone, denyEveryone, allowEveryone].entries()) {
      await writeFile(join(dir, '.channels.yaml.swp'), content('private-a'))
      await rename(join(dir, '.channels.yaml.swp'), join(dir, 'channels.yaml'))
      const expected = round % 2 === 0
      assert.isTrue(
        await waitFor(async () => (await allowed(state, 'private-a')) === expected, 2000),
        `save ${round + 1} not applied`
      )
    }
  }).timeout(15_000)

  test('a renamed file, then edited under its new name', async ({ assert, cleanup }) => {
    const state = watched(dir, cleanup)
    await sleep(150)
    await rename(join(dir, 'channels.yaml'), join(dir, 'renamed.yaml'))
    await sleep(300)
    await writeFile(join(dir, 'renamed.yaml'), allowEveryone('private-a'))
    assert.isTrue(await waitFor(() => allowed(state, 'private-a'), 2000), 'edit not applied')
    await writeFile(join(dir, 'renamed.yaml'), denyEveryone('private-a'))
    assert.isTrue(
      await waitFor(async () => !(await allowed(state, 'private-a')), 2000),
      'second edit not applied'
    )
  }).timeout(15_000)

  test('a file deleted then created; the gap is logged and keeps the last policy', async ({
    assert,
    cleanup,
  }) => {
    await writeFile(join(dir, 'channels.yaml'), allowEveryone('private-a'))
    const state = watched(dir, cleanup)
    await sleep(150)
    await writeFile(join(dir, 'channels.yaml'), allowEveryone('private-a') + '\n')
    assert.isTrue(await waitFor(() => allowed(state, 'private-a'), 2000), 'first load')

    await unlink(join(dir, 'channels.yaml'))
    assert.isTrue(await waitFor(async () => state.errors.length > 0, 2000), 'gap not logged')
    assert.match(state.errors[0], /no \*\.yaml policy files/)
    assert.isTrue(await allowed(state, 'private-a'), 'the last good policy must stay')

    await writeFile(join(dir, 'channels.yaml'), denyEveryone('private-a'))
    assert.isTrue(
      await waitFor(async () => !(await allowed(state, 'private-a')), 2000),
      'new file not applied'
    )
    await writeFile(join(dir, 'channels.yaml'), allowEveryone('private-a'))
    assert.isTrue(await waitFor(() => allowed(state, 'private-a'), 2000), 'later edit not applied')
  }).timeout(15_000)

  test('new files and folders in the policy folder', async ({ assert, cleanup }) => {
    const state = watched(dir, cleanup)
    await sleep(150)
    await writeFile(join(dir, 'extra.yaml'), allowEveryone('private-extra'))
    assert.isTrue(await waitFor(() => allowed(state, 'private-extra'), 2000), 'new file')

    await mkdir(join(dir, 'team'))
    await sleep(300)
    await writeFile(join(dir, 'team', 'more.yml'), allowEveryone('private-team'))
    assert.isTrue(await waitFor(() => allowed(state, 'private-team'), 2000), 'new folder')
    await writeFile(join(dir, 'team', 'more.yml'), denyEveryone('private-team'))
    assert.isTrue(
      await waitFor(async () => !(await allowed(state, 'private-team')), 2000),
      'edit in the new folder'
    )
  }).timeout(15_000)

  test('the policy folder itself replaced', async ({ assert, cleanup }) => {
    const state = watched(dir, cleanup)
    await sleep(150)
    const next = `${dir}-next`
    await mkdir(next)
    await writeFile(join(next, 'channels.yaml'), allowEveryone('private-a'))
    await rm(dir, { recursive: true })
    await rename(next, dir)
    assert.isTrue(await waitFor(() => allowed(state, 'private-a'), 3000), 'new folder not loaded')
    await writeFile(join(dir, 'channels.yaml'), denyEveryone('private-a'))
    assert.isTrue(
      await waitFor(async () => !(await allowed(state, 'private-a')), 3000),
      'edit in the new folder not applied'
    )
  }).timeout(15_000)
})
