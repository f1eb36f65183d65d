import { chromium, type Page } from 'playwright-core'

/**
 * Debian's Chromium (apt package "chromium"), or CHROMIUM_PATH
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * Headless Chromium as the browser tests run it: no sandbox (CI runs as
 * root), nothing that reaches the network on its own
 */
export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/**
 * Where failing browser tests leave their screenshots
 */
export const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url)

/**
 * Logs a demo user in from the demo page's form (password "password")
 */
export async function logIn(page: Page, url: string, email: string) {
  await page.goto(url)
  await page.fill('#login-form input[name=email]', email)
  await page.fill('#login-form input[name=password]', 'password')
  await page.click('#login-form button')
  await page.waitForSelector('#who:has-text("logged in as")')
}
