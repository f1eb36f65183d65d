import { mkdir } from 'node:fs/promises'
import type { Assert } from '@japa/assert'
import type { Browser, Page } from 'playwright-core'
import { ARTIFACTS, logIn } from './chromium.ts'
import { demoSdk } from './demo_process.ts'

/**
 * Leaves a screenshot of each page still open, for a failed test
 */
export async function screenshots(name: string, pages: Record<string, Page>) {
  await mkdir(ARTIFACTS, { recursive: true })
  for (const [who, page] of Object.entries(pages)) {
    if (!page.isClosed()) {
      await page.screenshot({ path: new URL(`${name}-${who}.png`, ARTIFACTS).pathname })
    }
  }
}

/**
 * The demo's hooks page ("/echo-vue", "/echo-react") signed in as the
 * admin and the basic user in two browser contexts: useEcho on each
 * user's private channel, useEchoPresence's members, a whisper, and a
 * member leaving. The pages show the same ids for either framework.
 */
export async function checkHooksInTwoBrowsers(
  assert: Assert,
  browser: Browser,
  demo: { url: string; port: number },
  path: string
) {
  const sdk = demoSdk(demo.port)
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
      await page.goto(`${demo.url}${path}`)
      // Authorized through /broadcasting/auth with the page's CSRF token
      // (an empty member list may be hidden: "attached")
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
    const accountOf = (page: Page) =>
      page.$$eval('#account li', (items) => items.map((li) => li.textContent?.trim()))
    assert.deepEqual(await accountOf(basic), ['Bob Renamed'])
    assert.deepEqual(await accountOf(admin), ['Ada Renamed'])

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
    await screenshots(path.slice(1), { admin, basic })
    throw error
  } finally {
    await adminContext.close()
    await basicContext.close()
  }
}
