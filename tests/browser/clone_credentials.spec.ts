import { test } from '@japa/runner'
import { copyFile, readFile, rm } from 'node:fs/promises'
import { EnvParser } from '@adonisjs/core/env'
import type { Browser } from 'playwright-core'
import { launchChromium, logIn } from '../helpers/chromium.ts'
import { startAppProcess } from '../helpers/app_process.ts'
import { runInApp, writeFreshApp } from '../helpers/configure_app.ts'
import { keepTestApp } from '../helpers/keep_test_app.ts'

const CLONE = new URL('../tmp/clone/', import.meta.url)

test.group('A teammate’s clone: .env from .env.example, then broadcast:credentials', (group) => {
  keepTestApp(group)
  let browser: Browser | undefined
  group.teardown(async () => {
    await browser?.close()
    await rm(CLONE, { recursive: true, force: true })
  })

  test('renders a page that connects and authorizes a private channel', async ({
    assert,
    cleanup,
  }) => {
    await rm(CLONE, { recursive: true, force: true })
    await writeFreshApp(CLONE)
    await runInApp(CLONE, 'configure')

    // The clone: only the committed template came along
    await copyFile(new URL('.env.example', CLONE), new URL('.env', CLONE))
    await runInApp(CLONE, 'broadcast:credentials')
    const env = await new EnvParser(await readFile(new URL('.env', CLONE), 'utf8'), CLONE, {
      ignoreProcessEnv: true,
    }).parse()
    assert.equal(env.VITE_PUSHER_APP_KEY, env.PUSHER_APP_KEY)
    // The template had no secret: the command generated it
    assert.notMatch(await readFile(new URL('.env.example', CLONE), 'utf8'), /PUSHER_APP_SECRET=./)
    assert.match(env.PUSHER_APP_SECRET!, /^[0-9a-f]{40}$/)

    /**
     * The example app run with the clone's credentials (the variables given
     * to the process win over its own .env): its page renders the key the
     * clone's browser reads, and the secret signs the private channels
     */
    const app = await startAppProcess(['--import=@poppinss/ts-exec', 'bin/demo.ts'], {
      BROADCAST_CONNECTION: env.BROADCAST_CONNECTION!,
      PUSHER_APP_ID: env.PUSHER_APP_ID!,
      PUSHER_APP_KEY: env.VITE_PUSHER_APP_KEY!,
      PUSHER_APP_SECRET: env.PUSHER_APP_SECRET!,
    })
    cleanup(() => app.stop())

    browser = await launchChromium()
    const page = await browser.newPage()
    await logIn(page, app.url, 'admin@example.com')
    await page.waitForSelector('#status[data-state=connected]')
    await page.waitForSelector('#admins-status:has-text("Subscribed")')
    assert.include(await page.content(), env.PUSHER_APP_KEY!)
  }).timeout(120_000)
})
