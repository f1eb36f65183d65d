import { test } from '@japa/runner'
import { createServer } from 'node:http'
import { createServer as createTcpServer } from 'node:net'
import { AceFactory } from '@adonisjs/core/factories'
import { BaseCommand, ListLoader } from '@adonisjs/core/ace'
import app, { setApp } from '@adonisjs/core/services/app'
import { BroadcastAppUnreachableException } from '../../src/errors.ts'
import type { BroadcastManager } from '../../src/broadcast_manager.ts'
import { commandProcess } from '../helpers/broadcast.ts'

/**
 * A port nothing listens on: the app that should serve clients is down
 */
async function closedPort() {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/**
 * Booting a second app (the ace kernel's) replaces the global "app"
 * service: the test app must get it back
 */
const testApp = app

test.group('A command broadcasting while the app is down', (group) => {
  group.each.setup(() => () => setApp(testApp))

  test('ace prints one line naming the publishTo host and port, and asks whether the app runs', async ({
    assert,
    cleanup,
  }) => {
    const port = await closedPort()
    const { manager } = await commandProcess(port)
    cleanup(() => manager.close())

    class Announce extends BaseCommand {
      static commandName = 'announce'
      async run() {
        await (manager as BroadcastManager<any>).channel('releases', 'NewRelease', { v: 2 })
      }
    }
    const ace = await new AceFactory().make(new URL('../tmp/unreachable/', import.meta.url), {
      importer: (path) => import(path),
    })
    ace.ui.switchMode('raw')
    ace.addLoader(new ListLoader([Announce]))
    await ace.handle(['announce'])

    assert.equal(ace.exitCode, 1)
    const logs = ace.ui.logger.getLogs()
    assert.lengthOf(logs, 1)
    const [line] = logs
    assert.equal(line.stream, 'stderr')
    assert.include(line.message, `http://127.0.0.1:${port}`)
    assert.include(line.message, '"publishTo"')
    assert.include(line.message, 'Is the app running?')
    assert.include(line.message, 'E_BROADCAST_APP_UNREACHABLE')
    // No stack of the HTTP client
    assert.notInclude(line.message, '    at ')
  }).timeout(20_000)

  test('the error carries host, port and the events, and marks the repeats', async ({
    assert,
    cleanup,
  }) => {
    const port = await closedPort()
    const { manager } = await commandProcess(port)
    cleanup(() => manager.close())

    const first = await manager.channel('releases', 'NewRelease', {}).catch((error) => error)
    const second = await manager.channel('releases', 'NewRelease', {}).catch((error) => error)
    for (const error of [first, second]) {
      assert.instanceOf(error, BroadcastAppUnreachableException)
      assert.equal(error.code, 'E_BROADCAST_APP_UNREACHABLE')
      assert.deepEqual([error.host, error.port], ['127.0.0.1', String(port)])
      assert.deepEqual([error.events, error.channels], [['NewRelease'], ['releases']])
    }
    assert.deepEqual([first.repeated, second.repeated], [false, true])
  }).timeout(20_000)

  test('on a "report" connection, many failures log one error line, the rest at debug', async ({
    assert,
    cleanup,
  }) => {
    const port = await closedPort()
    const { manager, logs } = await commandProcess(port, 'report')
    cleanup(() => manager.close())

    for (let index = 0; index < 3; index++) {
      await manager.channel(`private-user.${index}`, 'UserCreated', {})
    }

    const errors = logs.filter((entry) => entry.level === 'error')
    assert.lengthOf(errors, 1)
    assert.lengthOf(errors[0].args, 1)
    assert.include(String(errors[0].args[0]), `http://127.0.0.1:${port}`)
    assert.include(String(errors[0].args[0]), 'Is the app running?')
    assert.lengthOf(
      logs.filter((entry) => entry.level === 'debug'),
      2
    )
  }).timeout(20_000)

  test('while the app is known to be down, a broadcast is tried once, without the retries', async ({
    assert,
    cleanup,
  }) => {
    // Accepts and hangs up: no answer, as from an app that is not there
    let connections = 0
    const hangUp = createTcpServer((socket) => {
      connections++
      socket.destroy()
    })
    await new Promise<void>((resolve) => hangUp.listen(0, '127.0.0.1', resolve))
    cleanup(() => new Promise<void>((resolve) => hangUp.close(() => resolve())))
    const { port } = hangUp.address() as { port: number }
    const { manager } = await commandProcess(port)
    cleanup(() => manager.close())

    const attempts = []
    for (let index = 0; index < 3; index++) {
      const before = connections
      const error = await manager.channel('releases', 'NewRelease', {}).catch((reason) => reason)
      assert.instanceOf(error, BroadcastAppUnreachableException)
      attempts.push(connections - before)
    }
    // The first waited for the two retries; the next ones fail at once
    assert.deepEqual(attempts, [3, 1, 1])
  }).timeout(20_000)
})
