import { test } from '@japa/runner'
import { mkdir } from 'node:fs/promises'
import PusherModule from 'pusher-js'
import PusherSdk from 'pusher'
import env from '#start/env'
import type { Browser } from 'playwright-core'
import { ARTIFACTS, launchChromium, logIn as login } from '../helpers/chromium.ts'
import { startDemo, startDemoNodes } from '../helpers/demo_process.ts'

// pusher-js ships ESM-style typings for a CommonJS module
const Pusher = PusherModule as unknown as typeof import('pusher-js').default

test.group('Console | /broadcasting/console in Chromium', (group) => {
  let demo: Awaited<ReturnType<typeof startDemo>>
  let browser: Browser | undefined
  group.setup(async () => {
    demo = await startDemo()
    return () => demo.stop()
  })
  group.teardown(async () => browser?.close())

  test('the admin sees a connection appear and an event arrive live; the basic user is refused', async ({
    assert,
  }) => {
    browser = await launchChromium()
    const admin = await (await browser.newContext()).newPage()
    const basic = await (await browser.newContext()).newPage()
    admin.setDefaultTimeout(15_000)
    basic.setDefaultTimeout(15_000)
    const errors: string[] = []
    admin.on('pageerror', (error) => errors.push(error.message))
    const pusher = new Pusher('demo-key', {
      cluster: '',
      wsHost: '127.0.0.1',
      wsPort: demo.port,
      forceTLS: false,
      enabledTransports: ['ws'],
    })

    try {
      await login(admin, demo.url, 'admin@example.com')
      await admin.goto(`${demo.url}/broadcasting/console`)
      await admin.waitForSelector('#status[data-state=live]')

      /**
       * A client connects and subscribes: the console lists its socket and
       * its channel within a tick
       */
      const socketId = await new Promise<string>((resolve, reject) => {
        if (pusher.connection.state === 'connected') resolve(pusher.connection.socket_id)
        pusher.connection.bind('connected', () => resolve(pusher.connection.socket_id))
        pusher.connection.bind('failed', () => reject(new Error('pusher-js could not connect')))
      })
      pusher.subscribe('console-browser-test')
      await admin.waitForSelector(`#sockets li:has-text("${socketId}")`)
      await admin.waitForSelector('#channels tr:has-text("console-browser-test")')

      /**
       * An event sent from the console's own form arrives at the client
       * and shows in the console's event list
       */
      const received = new Promise((resolve, reject) => {
        pusher.channel('console-browser-test').bind('FromConsole', resolve)
        setTimeout(() => reject(new Error('the client did not receive FromConsole')), 15_000)
      })
      await admin.fill('#send-form input[name=channel]', 'console-browser-test')
      await admin.fill('#send-form input[name=event]', 'FromConsole')
      await admin.fill('#send-form textarea[name=data]', '{"hello":"<b>world</b>"}')
      await admin.click('#send-form button')
      await admin.waitForSelector('#send-result:has-text("sent")')
      assert.deepEqual(await received, { hello: '<b>world</b>' })
      await admin.waitForSelector('#events li:has-text("FromConsole")')
      // Payloads are shown as text, never as markup
      assert.include(await admin.textContent('#events'), '<b>world</b>')
      assert.equal(await admin.locator('#events b:has-text("world")').count(), 0)
      assert.deepEqual(errors, [])

      /**
       * The basic user: the policy refuses the page, naming the rule
       */
      await login(basic, demo.url, 'basic@example.com')
      const response = await basic.goto(`${demo.url}/broadcasting/console`)
      assert.equal(response?.status(), 403)
      assert.include(await basic.textContent('#refused'), "user.role == 'admin'")
    } catch (error) {
      await mkdir(ARTIFACTS, { recursive: true })
      for (const [name, page] of [
        ['admin', admin],
        ['basic', basic],
      ] as const) {
        if (!page.isClosed()) {
          await page.screenshot({ path: new URL(`console-${name}.png`, ARTIFACTS).pathname })
        }
      }
      throw error
    } finally {
      pusher.disconnect()
    }
  }).timeout(90_000)
})

test.group('Console | the nodes of a cluster in one page', (group) => {
  let demo: Awaited<ReturnType<typeof startDemoNodes>>
  let browser: Browser | undefined
  group.setup(async () => {
    demo = await startDemoNodes()
    return () => demo.stop()
  })
  group.teardown(async () => browser?.close())

  test("the console open on one node lists the other node's sockets, channels and events", async ({
    assert,
  }) => {
    browser = await launchChromium()
    const admin = await (await browser.newContext()).newPage()
    admin.setDefaultTimeout(15_000)
    const [first, second] = demo.urls
    const pusher = new Pusher('demo-key', {
      cluster: '',
      wsHost: '127.0.0.1',
      wsPort: Number(new URL(second).port),
      forceTLS: false,
      enabledTransports: ['ws'],
    })

    try {
      await login(admin, first, 'admin@example.com')
      await admin.goto(`${first}/broadcasting/console`)
      await admin.waitForSelector('#status[data-state=live]')

      // A client of the second node: the console on the first lists it
      const socketId = await new Promise<string>((resolve, reject) => {
        if (pusher.connection.state === 'connected') resolve(pusher.connection.socket_id)
        pusher.connection.bind('connected', () => resolve(pusher.connection.socket_id))
        pusher.connection.bind('failed', () => reject(new Error('pusher-js could not connect')))
      })
      pusher.subscribe('console-cluster-test')
      await admin.waitForSelector(`#sockets li:has-text("${socketId}")`)
      await admin.waitForSelector('#channels tr:has-text("console-cluster-test")')
      assert.match((await admin.textContent('#node'))!, /^nodes \S+, \S+$/)

      // An event published on the second node shows, tagged with that node
      const received = new Promise((resolve) => {
        pusher.channel('console-cluster-test').bind('OnSecondNode', resolve)
      })
      const sdk = new PusherSdk({
        appId: env.get('PUSHER_APP_ID'),
        key: 'demo-key',
        secret: env.get('PUSHER_APP_SECRET').release(),
        host: '127.0.0.1',
        port: new URL(second).port,
      })
      await sdk.trigger('console-cluster-test', 'OnSecondNode', {})
      await received
      await admin.waitForSelector('#events li:has-text("OnSecondNode")')
    } catch (error) {
      await mkdir(ARTIFACTS, { recursive: true })
      if (!admin.isClosed()) {
        await admin.screenshot({ path: new URL('console-cluster.png', ARTIFACTS).pathname })
      }
      throw error
    } finally {
      pusher.disconnect()
    }
  }).timeout(120_000)
})
