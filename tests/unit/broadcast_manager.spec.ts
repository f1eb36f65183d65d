import { test } from '@japa/runner'
import { IgnitorFactory } from '@adonisjs/core/factories'
import { keepTestApp } from '../helpers/keep_test_app.ts'
import { defineConfig as defineHttpConfig } from '@adonisjs/core/http'
import { BroadcastManager } from '../../src/broadcast_manager.ts'
import { defineConfig } from '../../src/define_config.ts'
import { drivers } from '../../src/connections.ts'
import { NullDriver } from '../../src/drivers/null.ts'
import type { LocalDriver } from '../../src/drivers/local.ts'
import { PolicyService } from '../../src/policies/policy_service.ts'
import { createManager, packageApp, resolveConfig } from '../helpers/broadcast.ts'

const CREDENTIALS = { appId: '1', key: 'app-key', secret: 'app-secret' }

test.group('BroadcastManager | built from defineConfig', () => {
  test('defineConfig returns a config provider resolved with defaults', async ({ assert }) => {
    const config = defineConfig({
      default: 'log',
      connections: { log: drivers.log(), local: drivers.local(CREDENTIALS) },
    })
    assert.equal(config.type, 'provider')

    const app = await packageApp()
    const resolved = await resolveConfig(config, app)
    assert.equal(resolved.default, 'log')
    assert.deepEqual(Object.keys(resolved.connections), ['log', 'local'])
    assert.equal(resolved.connections.local.driver, 'local')
    assert.equal(resolved.connections.log.options.maxPayloadBytes, 10_240)
    assert.equal(resolved.policies.path, app.makePath('policies'))
    assert.equal(resolved.authorization.path, '/broadcasting/authorize')
    assert.isTrue(resolved.authorization.debug)
  })

  test('an unknown default connection fails at defineConfig', ({ assert }) => {
    assert.throws(
      () => defineConfig({ default: 'nope' as any, connections: { log: drivers.log() } }),
      'The default broadcast connection "nope" is not defined in "config/broadcast.ts". Defined: log'
    )
  })

  test('drivers are created on first use, once, and use() is synchronous', async ({ assert }) => {
    let created = 0
    const counted = {
      driver: 'counted',
      options: { maxPayloadBytes: 100, onFailure: 'throw' as const },
      create: () => {
        created++
        return new NullDriver()
      },
    }
    const manager = await createManager(
      defineConfig({ default: 'counted', connections: { counted, log: drivers.log() } })
    )
    assert.equal(created, 0)

    const broadcaster = manager.use()
    assert.equal(created, 1)
    assert.strictEqual(manager.use('counted'), broadcaster)
    assert.strictEqual(manager.driver('counted'), broadcaster.driver)
    await manager.channel('releases', 'NewRelease', { version: '1' })
    assert.equal(created, 1)
  })

  test('use() and driver() are typed by the configured connection names', async ({ assert }) => {
    const manager = await createManager(
      defineConfig({
        default: 'local',
        connections: { local: drivers.local(CREDENTIALS), log: drivers.log() },
      })
    )
    // A LocalDriver without a cast: the type comes from "connections"
    const local: LocalDriver = manager.driver('local')
    assert.equal(local.credentials.key, 'app-key')
    assert.equal(manager.use('log').connection, 'log')

    // @ts-expect-error "pusher" is not a configured connection
    assert.throws(() => manager.use('pusher'), /Unknown broadcast connection "pusher"/)
    await manager.close()
  })

  test('a missing credential fails when the driver is created, naming the env variable', async ({
    assert,
  }) => {
    const manager = await createManager(
      defineConfig({
        default: 'log',
        connections: {
          log: drivers.log(),
          local: drivers.local({ ...CREDENTIALS, secret: '' }),
        },
      })
    )
    // The unused connection does not stop the manager, nor the default one
    await manager.channel('releases', 'NewRelease', {})

    assert.throws(
      () => manager.use('local'),
      'Missing "secret" for the "local" broadcast connection: set PUSHER_APP_SECRET in .env (node ace broadcast:credentials writes one)'
    )
  })
})

test.group('BroadcastProvider | container bindings', (group) => {
  keepTestApp(group)

  async function boot(config: unknown) {
    const ignitor = new IgnitorFactory()
      .withCoreProviders()
      .withCoreConfig()
      .merge({
        config: {
          broadcast: config,
          /**
           * The router's server is built here: with the factory's default
           * (no async local storage) it would switch off the global store the
           * example app's functional tests read HttpContext.get() from
           */
          app: {
            appUrl: 'http://localhost:3333',
            http: defineHttpConfig({ useAsyncLocalStorage: true }),
          },
        },
        rcFileContents: { providers: [() => import('../../providers/broadcast_provider.ts')] },
      })
      .create(new URL('../tmp/provider-app/', import.meta.url), {
        importer: (path) => import(path),
      })
    const app = ignitor.createApp('console')
    await app.init()
    await app.boot()
    return app
  }

  test('the manager is a singleton aliased "broadcast"; policies are a service', async ({
    assert,
    cleanup,
  }) => {
    const app = await boot(defineConfig({ default: 'null', connections: { null: drivers.null() } }))
    cleanup(() => app.terminate())

    const broadcast = await app.container.make('broadcast')
    assert.instanceOf(broadcast, BroadcastManager)
    assert.strictEqual(await app.container.make(BroadcastManager), broadcast)
    assert.instanceOf(await app.container.make('broadcast.policies'), PolicyService)
    assert.strictEqual(
      await app.container.make(PolicyService),
      await app.container.make('broadcast.policies')
    )
  })

  test('a config not made with defineConfig is refused', async ({ assert, cleanup }) => {
    const app = await boot({ default: 'null', connections: {} })
    cleanup(() => app.terminate())
    await assert.rejects(
      () => app.container.make('broadcast'),
      'Invalid "config/broadcast.ts" file. Make sure you are using the "defineConfig" method'
    )
  })
})
