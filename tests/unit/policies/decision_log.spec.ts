import { test } from '@japa/runner'
import { Writable } from 'node:stream'
import { Logger } from '@adonisjs/core/logger'
import { PolicyService } from '../../../src/policies/main.ts'

const POLICY = "channels:\n  private-admins:\n    allow: user.role == 'admin'\n"

/** The app's logger writing JSON lines into an array */
function jsonLogger() {
  const lines: Array<Record<string, any>> = []
  const destination = new Writable({
    write(chunk, _, done) {
      lines.push(JSON.parse(String(chunk)))
      done()
    },
  })
  const logger = new Logger({ enabled: true, name: 'app', level: 'info', destination })
  return { logger, lines }
}

test.group('Policies | decision log', () => {
  test('one structured line per decision when opted in', async ({ assert, fs }) => {
    await fs.create('log/channels.yaml', POLICY)
    const { logger, lines } = jsonLogger()
    const service = new PolicyService(
      { path: `${fs.basePath}/log`, watch: false, predicates: {}, logDecisions: true },
      logger
    )
    await service.decide('private-admins', { user: { id: 42, role: 'basic' } })
    await service.decide('private-nothing', { user: null })

    assert.lengthOf(lines, 2)
    const [denied, unmatched] = lines
    assert.equal(denied.msg, 'broadcast authorization decision')
    assert.equal(denied.level, 30)
    assert.isNumber(denied.time)
    assert.containsSubset(denied, {
      channel: 'private-admins',
      userId: '42',
      pattern: 'private-admins',
      outcome: 'deny',
      reason: '"private-admins": condition `user.role == \'admin\'` is false',
    })
    assert.isAtLeast(denied.durationMs, 0)
    assert.notProperty(denied, 'role')
    assert.containsSubset(unmatched, { userId: null, pattern: null, outcome: 'deny' })
  })

  test('silent by default', async ({ assert, fs }) => {
    await fs.create('quiet/channels.yaml', POLICY)
    const { logger, lines } = jsonLogger()
    const service = new PolicyService(
      { path: `${fs.basePath}/quiet`, watch: false, predicates: {} },
      logger
    )
    const decision = await service.decide('private-admins', { user: { id: 1, role: 'admin' } })
    assert.isTrue(decision.allowed)
    assert.lengthOf(lines, 0)
  })
})
