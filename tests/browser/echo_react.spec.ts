import { test } from '@japa/runner'
import { mkdir } from 'node:fs/promises'
import type { Browser, Page } from 'playwright-core'
import { buildEchoReactPage } from '../../bin/build_echo_react.ts'
import { ARTIFACTS, launchChromium, logIn } from '../helpers/chromium.ts'
import { demoSdk, startDemo } from '../helpers/demo_process.ts'

/**
 * Leaves a screenshot of each page still open, for a failed test
 */
async function screenshots(name: string, pages: Record<string, Page>) {
  await mkdir(ARTIFACTS, { recursive: true })
  for (const [who, page] of Object.entries(pages)) {
    if (!page.isClosed()) {
      await page.screenshot({ path: new URL(`${name}-${who}.png`, ARTIFACTS).pathname })
    }
  }
}

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
    const sdk = demoSdk(demo.port)
    browser ??= await launchChromium()
    const adminContext = await browser.newContext()
    const basicContext = await browser.newContext()
    const admin = await adminContext.newPage()
    const basic = await basicContext.newPage()
    try {
      for (const [page, email] of [
        [admin, 'admin@example.com'],
        [basic, 'basic@example.com'],
      ] as const) {
        await logIn(page, demo.url, email)
        await page.goto(`${demo.url}/echo-react`)
        // Authorized through /broadcasting/auth with the page's CSRF token
        await page.waitForSelector('#private[data-state=subscribed]')
        await page.waitForSelector('#members[data-state=subscribed]', { state: 'attached' })
      }

      /**
       * useEcho(`user.${id}`): an event on "private-user.<id>" reaches
       * that user's hook, and no one else's. Bob's own event, sent after
       * Ada's, arrives after anything of hers would have.
       */
      for (const [page, fullName] of [
        [admin, 'Ada Renamed'],
        [basic, 'Bob Renamed'],
      ] as const) {
        const id = await page.getAttribute('#private', 'data-user-id')
        await sdk.trigger(`private-user.${id}`, 'UserUpdated', { id: Number(id), fullName })
        await page.waitForSelector(`#account li:has-text("${fullName}")`)
      }
      assert.deepEqual(
        await basic.$$eval('#account li', (items) => items.map((li) => li.textContent)),
        ['Bob Renamed']
      )
      assert.deepEqual(
        await admin.$$eval('#account li', (items) => items.map((li) => li.textContent)),
        ['Ada Renamed']
      )

      /**
       * useEchoPresence('chat.1'): here, joining and leaving keep both
       * pages' member lists; a whisper reaches the other page's hook
       */
      await admin.waitForSelector('#members li:has-text("Bob Basic")')
      await admin.waitForSelector('#members li:has-text("Ada Admin")')
      await basic.waitForSelector('#members li:has-text("Ada Admin")')
      await basic.waitForSelector('#members li:has-text("Bob Basic")')

      await basic.type('#typing-input', 'hi')
      await admin.waitForSelector('#typing:has-text("Bob Basic is typing")')
      assert.equal((await basic.textContent('#typing'))!.trim(), '')

      await basicContext.close()
      await admin.waitForSelector('#members li:has-text("Bob Basic")', { state: 'detached' })
      assert.include(await admin.textContent('#members'), 'Ada Admin')
    } catch (error) {
      await screenshots('echo-react', { admin, basic })
      throw error
    } finally {
      await adminContext.close()
      await basicContext.close()
    }
  }).timeout(90_000)
})
