import { assert } from '@japa/assert'
import { apiClient } from '@japa/api-client'
import { fileSystem } from '@japa/file-system'
import app from '@adonisjs/core/services/app'
import type { Config } from '@japa/runner/types'
import { pluginAdonisJS } from '@japa/plugin-adonisjs'
import testUtils from '@adonisjs/core/services/test_utils'
import { attachBroadcastServer } from '../src/drivers/attach.ts'
import { authApiClient } from '@adonisjs/auth/plugins/api_client'
import { shieldApiClient } from '@adonisjs/shield/plugins/api_client'
import { sessionApiClient } from '@adonisjs/session/plugins/api_client'

export const plugins: Config['plugins'] = [
  assert(),
  fileSystem({ basePath: new URL('./tmp/', import.meta.url), autoClean: true }),
  apiClient(),
  pluginAdonisJS(app),
  sessionApiClient(app),
  shieldApiClient(),
  authApiClient(app),
]

export const runnerHooks: Required<Pick<Config, 'setup' | 'teardown'>> = {
  setup: [],
  teardown: [],
}

export const configureSuite: Config['configureSuite'] = (suite) => {
  if (suite.name === 'functional') {
    return suite.setup(async () => {
      // A fresh database with the two demo users; unit tests need none
      const rollback = await testUtils.db().migrate()
      await testUtils.db().seed()
      const closeHttpServer = await testUtils.httpServer().start()
      // The embedded server attaches as in "web"; its sockets close first
      const closeBroadcastServer = await attachBroadcastServer(app)
      return async () => {
        await closeBroadcastServer()
        await closeHttpServer()
        await rollback()
      }
    })
  }
}
