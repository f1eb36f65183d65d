import { test } from '@japa/runner'
import type { Browser } from 'playwright-core'
import { buildEchoReactPage } from '../../bin/build_echo_react.ts'
import { launchChromium } from '../helpers/chromium.ts'
import { checkHooksInTwoBrowsers, screenshots } from '../helpers/echo_hooks.ts'
import { demoSdk, startDemo } from '../helpers/demo_process.ts'

test.group('Demo | /echo-react: @laravel/echo-react in Chromium', (group) => {
  let demo: Awaited<ReturnType<typeof startDemo>>
  let browser: Browser | undefined
  group.setup(async () => {
    // React has no browser build: the page is bundled here, with esbuild
    await buildEchoReactPage()
    demo = await startDemo()
    return () => demo.stop()
  })
  group.teardown(async () => browser?.close())

  test("useEchoPublic receives an event sent through the embedded server's HTTP API", async ({
    assert,
  }) => {
    browser ??= await launchChromium()
    const page = await browser.newPage()
    try {
      await page.goto(`${demo.url}/echo-react`)
      await page.waitForSelector('#status[data-state=connected]')
      // The page says when the server confirmed the subscription: publish then
      // (an empty list is hidden: "attached")
      await page.waitForSelector('#releases[data-state=subscribed]', { state: 'attached' })

      await demoSdk(demo.port).trigger('releases', 'NewRelease', {
        version: '4.0.0',
        message: 'From React',
      })
      await page.waitForSelector('#releases li:has-text("Release 4.0.0: From React")')
      assert.lengthOf(await page.$$('#releases li'), 1)
      assert.exists(await page.$('#guest'))
    } catch (error) {
      await screenshots('echo-react', { guest: page })
      throw error
    } finally {
      await page.close()
    }
  }).timeout(60_000)

  test("useEcho on the user's private channel, useEchoPresence's members and whispers, in two browsers", async ({
    assert,
  }) => {
    browser ??= await launchChromium()
    await checkHooksInTwoBrowsers(assert, browser, demo, '/echo-react')
  }).timeout(90_000)
})
