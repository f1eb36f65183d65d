import { chromium } from 'playwright-core'

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
