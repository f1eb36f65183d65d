import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import { setTimeout as sleep } from 'node:timers/promises'
import { BroadcastManager } from '../../src/broadcast_manager.ts'
import { defineConfig, drivers } from '../../src/define_config.ts'
import { recordingLogger } from '../helpers/broadcast.ts'

const ADMINS_ONLY = "channels:\n  private-admins:\n    allow: user.role == 'admin'\n"
const EVERYONE = 'channels:\n  private-admins:\n    allow: user != null\n'
const BROKEN = 'channels:\n  private-admins:\n    allow: user.role == admin\n'

async function allowedFor(manager: BroadcastManager, role: string) {
  const policies = await manager.policies()
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

test.group('Policies | hot reload through the broadcast manager', () => {
  test('a valid edit applies within a second; an invalid one keeps the last good policy', async ({
    assert,
    fs,
    cleanup,
  }) => {
    await fs.create('watched/channels.yaml', ADMINS_ONLY)
    const { logger, entries } = recordingLogger()
    const manager = new BroadcastManager(
      app,
      defineConfig({
        default: 'null',
        connections: { null: drivers.null() },
        policies: { path: `${fs.basePath}/watched`, watch: true },
      }),
      logger
    )
    cleanup(() => manager.close())

    assert.isFalse(await allowedFor(manager, 'basic'))
    manager.watchPolicies()
    await sleep(100)

    await fs.create('watched/channels.yaml', EVERYONE)
    assert.isTrue(
      await waitFor(() => allowedFor(manager, 'basic'), 1000),
      'edit not applied in 1 s'
    )

    await fs.create('watched/channels.yaml', BROKEN)
    const reported = await waitFor(async () => entries.some((e) => e.level === 'error'), 1000)
    assert.isTrue(reported, 'invalid edit not logged')
    const message = String(entries.find((e) => e.level === 'error')!.args[0])
    assert.match(message, /channels\.yaml:3:25: .*Unknown variable: admin/)
    assert.isTrue(await allowedFor(manager, 'basic'), 'the last good policy must stay')
  }).timeout(10_000)
})
