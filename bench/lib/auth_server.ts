/**
 * The example app as bin/server.ts starts it, with two changes made from
 * outside, so neither config/ nor start/ is edited:
 *
 * - after the config is loaded ("booted" hook), "broadcast.policies.path"
 *   points at the folder given as argv[2] (the real policies plus 1,000
 *   generated patterns); the broadcast service reads its config only later,
 *   when the providers start
 * - the baseline routes are added here, before start/routes.ts and
 *   start/kernel.ts are preloaded: "router.use" pushes onto the array every
 *   route shares, so they run the same global middleware (bodyparser,
 *   session, shield, initialize_auth) as POST /broadcasting/authorize
 *
 *   POST /__bench/authorize            a constant signature (the framework's cost)
 *   POST /__bench/authorize-with-user  auth.check() then a constant signature
 */
import 'reflect-metadata'
import { Ignitor, prettyPrintError } from '@adonisjs/core'

const APP_ROOT = new URL('../../', import.meta.url)
const policiesPath = process.argv[2]
const SIGNATURE = { auth: `demo-key:${'0'.repeat(64)}` }

new Ignitor(APP_ROOT, {
  importer: (filePath: string) =>
    filePath.startsWith('./') || filePath.startsWith('../')
      ? import(new URL(filePath, APP_ROOT).href)
      : import(filePath),
})
  .tap((app) => {
    app.booting(async () => {
      await import('#start/env')
    })
    app.booted(async () => {
      if (policiesPath) app.config.set('broadcast.policies.path', policiesPath)
      const router = await app.container.make('router')
      router.post('/__bench/authorize', () => SIGNATURE)
      router.post('/__bench/authorize-with-user', async (ctx) => {
        await (ctx as any).auth.check()
        return SIGNATURE
      })
    })
    app.listen('SIGTERM', () => app.terminate())
    app.listen('SIGINT', () => app.terminate())
  })
  .httpServer()
  .start()
  .catch((error) => {
    process.exitCode = 1
    prettyPrintError(error)
  })
