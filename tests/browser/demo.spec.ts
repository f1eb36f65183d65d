import { test } from '@japa/runner'
import PusherModule from 'pusher-js'
import type { Browser, Page } from 'playwright-core'
import { launchChromium, logIn } from '../helpers/chromium.ts'
import { checkHooksInTwoBrowsers, screenshots } from '../helpers/echo_hooks.ts'
import { demoSdk, startDemo } from '../helpers/demo_process.ts'

// pusher-js ships ESM-style typings for a CommonJS module
const Pusher = PusherModule as unknown as typeof import('pusher-js').default

async function login(page: Page, url: string, email: string) {
  await logIn(page, url, email)
  /**
   * The guest page is already at this URL and has its own subscriptions:
   * wait for the reloaded page, or an event may be published before that
   * page subscribes (and Pusher delivers nothing to a later subscriber)
   */
  await page.waitForSelector('#status[data-state=connected]')
  await page.waitForSelector('#releases[data-subscribed=true]')
}

test.group('Demo | npm run demo', (group) => {
  let demo: Awaited<ReturnType<typeof startDemo>>
  let browser: Browser | undefined
  group.setup(async () => {
    demo = await startDemo()
    return () => demo.stop()
  })
  group.teardown(async () => browser?.close())

  test('the page loads and the embedded server accepts a pusher-js connection', async ({
    assert,
  }) => {
    const response = await fetch(demo.url)
    assert.equal(response.status, 200)
    assert.include(await response.text(), '<meta name="csrf-token"')

    const pusher = new Pusher('demo-key', {
      cluster: '',
      wsHost: '127.0.0.1',
      wsPort: demo.port,
      forceTLS: false,
      enabledTransports: ['ws'],
    })
    try {
      await new Promise<void>((resolve, reject) => {
        pusher.connection.bind('connected', () => resolve())
        pusher.connection.bind('failed', () => reject(new Error('pusher-js could not connect')))
      })
      assert.match(pusher.connection.socket_id, /^\d+\.\d+$/)
    } finally {
      pusher.disconnect()
    }
  }).timeout(30_000)

  test('releases, admin alerts and the presence chat in two browsers', async ({ assert }) => {
    browser ??= await launchChromium()
    const adminContext = await browser.newContext()
    const basicContext = await browser.newContext()
    const admin = await adminContext.newPage()
    const basic = await basicContext.newPage()

    try {
      await login(admin, demo.url, 'admin@example.com')
      await login(basic, demo.url, 'basic@example.com')

      /**
       * Admin publishes a release: both pages show it, without a reload
       */
      await admin.fill('#release-form input[name=version]', '2.0.0')
      await admin.fill('#release-form input[name=message]', 'Dark mode is here')
      await admin.click('#release-form button')
      for (const page of [admin, basic]) {
        await page.waitForSelector('#releases .alert.release')
        assert.include(await page.textContent('#releases'), 'Release 2.0.0: Dark mode is here')
      }

      /**
       * Admin alert: only the admin page shows it; the basic page shows why
       */
      await admin.waitForSelector('#admins-status:has-text("Subscribed")')
      await basic.waitForSelector('#admins-status.denied')
      assert.include(await basic.textContent('#admins-status'), '403')
      assert.include(await basic.textContent('#admins-status'), "user.role == 'admin'")

      await admin.fill('#alert-form input[name=message]', 'Disk almost full')
      await admin.click('#alert-form button')
      await admin.waitForSelector('#alerts .alert.admin')
      assert.include(await admin.textContent('#alerts'), 'Disk almost full')
      await basic.waitForTimeout(500)
      assert.equal((await basic.textContent('#alerts'))!.trim(), '')

      /**
       * Presence chat: each sees the other, typing shows on the other page,
       * closing one browser removes it from the other's list
       */
      await admin.waitForSelector('#members li:has-text("Bob Basic")')
      await basic.waitForSelector('#members li:has-text("Ada Admin")')

      await admin.type('#typing-input', 'hello')
      await basic.waitForSelector('#typing:has-text("Ada Admin is typing")')
      assert.equal((await admin.textContent('#typing'))!.trim(), '')

      /**
       * The team list comes from the app's member_added / member_removed
       * listeners, which write "online" and "last_seen_at"
       */
      await basic.waitForSelector('#team li[data-online=true]:has-text("Ada Admin")')
      await basic.waitForSelector('#team li[data-online=true]:has-text("Bob Basic")')
      // Releases count their watchers: both pages
      await basic.waitForSelector('#viewers:has-text("2")')

      await adminContext.close()
      await basic.waitForSelector('#members li:has-text("Ada Admin")', { state: 'detached' })
      assert.notInclude(await basic.textContent('#members'), 'Ada Admin')
      // member_removed waits 3 s for a return, then the team list shows the leave
      await basic.waitForSelector('#team li[data-online=false]:has-text("Ada Admin: last seen")', {
        timeout: 15_000,
      })
      await basic.waitForSelector('#viewers:has-text("1")')
    } catch (error) {
      await screenshots('demo', { admin, basic })
      throw error
    } finally {
      // Its pages leave the chat room: the next test counts its members
      await basicContext.close()
    }
  }).timeout(90_000)

  test('who of my team is online: the watchlist of the sign-in, in two browsers', async ({
    assert,
  }) => {
    browser ??= await launchChromium()
    const adminContext = await browser.newContext()
    const basicContext = await browser.newContext()
    const admin = await adminContext.newPage()
    const basic = await basicContext.newPage()
    const shown = (name: string, online: boolean) =>
      `#watchlist-users li[data-online=${online}]:has-text("${name}")`
    try {
      await login(admin, demo.url, 'admin@example.com')
      // The state at sign-in: Bob is not here yet
      await admin.waitForSelector(shown('Bob Basic', false))

      await login(basic, demo.url, 'basic@example.com')
      await basic.waitForSelector(shown('Ada Admin', true))
      await admin.waitForSelector(shown('Bob Basic', true))
      // Their own id is on their team, and the policy's rule keeps it off their watchlist
      assert.notInclude(await admin.textContent('#watchlist-users'), 'Ada Admin')
      assert.notInclude(await basic.textContent('#watchlist-users'), 'Bob Basic')

      // Bob's last page goes: offline once the leave delay (3 s) is over
      await basicContext.close()
      await admin.waitForSelector(shown('Bob Basic', false), { timeout: 15_000 })
    } catch (error) {
      await screenshots('watchlist', { admin, basic })
      throw error
    } finally {
      await adminContext.close()
      await basicContext.close()
    }
  }).timeout(90_000)

  test('an admin posts an encrypted note: admin pages show it decrypted, the wire and other pages do not', async ({
    assert,
  }) => {
    browser ??= await launchChromium()
    const adminContext = await browser.newContext()
    const otherAdminContext = await browser.newContext()
    const basicContext = await browser.newContext()
    const [admin, otherAdmin, basic] = await Promise.all(
      [adminContext, otherAdminContext, basicContext].map((context) => context.newPage())
    )
    // What the server sends the other admin's page, as it is on the wire
    const wire: string[] = []
    otherAdmin.on('websocket', (socket) =>
      socket.on('framereceived', ({ payload }) => wire.push(String(payload)))
    )
    try {
      await login(admin, demo.url, 'admin@example.com')
      await login(otherAdmin, demo.url, 'admin@example.com')
      await login(basic, demo.url, 'basic@example.com')
      for (const page of [admin, otherAdmin]) {
        await page.waitForSelector('#notes-status:has-text("Subscribed")')
      }
      assert.include(await basic.textContent('#notes-status'), 'Admins only')
      assert.isTrue(await basic.isHidden('#note-form'))

      await admin.fill('#note-form input[name=text]', 'Rotate the keys on Friday')
      await admin.click('#note-form button')
      for (const page of [admin, otherAdmin]) {
        await page.waitForSelector('#notes .alert:has-text("Rotate the keys on Friday")')
      }
      await basic.waitForTimeout(300)
      assert.equal((await basic.textContent('#notes'))!.trim(), '')

      const frame = wire.find((payload) => payload.includes('"AdminNote"'))!
      assert.isDefined(frame)
      assert.notInclude(frame, 'Rotate the keys')
      assert.include(frame, 'ciphertext')
    } catch (error) {
      await screenshots('demo-notes', { admin })
      throw error
    } finally {
      await Promise.all(
        [adminContext, otherAdminContext, basicContext].map((context) => context.close())
      )
    }
  }).timeout(60_000)

  test("laravel-echo's Vue hooks (@laravel/echo-vue) receive an event from the embedded server", async ({
    assert,
  }) => {
    const sdk = demoSdk(demo.port)
    browser ??= await launchChromium()
    const page = await browser.newPage()
    try {
      await page.goto(`${demo.url}/echo-vue`)
      await page.waitForSelector('#status[data-state=connected]')
      /**
       * The hook subscribes once the component is mounted, and nothing on
       * the page says when: send until the page shows it (the channel's
       * count cannot tell, other tests' pages may still be leaving it)
       */
      const shown = '#releases li:has-text("Release 3.0.0: From Vue")'
      const deadline = Date.now() + 10_000
      let arrived = false
      while (!arrived && Date.now() < deadline) {
        await sdk.trigger('releases', 'NewRelease', { version: '3.0.0', message: 'From Vue' })
        arrived = await page
          .waitForSelector(shown, { timeout: 500 })
          .then(() => true)
          .catch(() => false)
      }
      assert.isTrue(arrived)
      assert.include(await page.textContent('#releases'), 'From Vue')
    } catch (error) {
      await screenshots('echo-vue', { guest: page })
      throw error
    } finally {
      await page.close()
    }
  }).timeout(60_000)

  test("laravel-echo's Vue hooks: useEcho on a user's private channel, useEchoPresence's members and whispers", async ({
    assert,
  }) => {
    browser ??= await launchChromium()
    await checkHooksInTwoBrowsers(assert, browser, demo, '/echo-vue')
  }).timeout(90_000)
})
