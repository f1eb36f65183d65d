/*
|--------------------------------------------------------------------------
| npm run build:echo-react
|--------------------------------------------------------------------------
|
| Bundles the example app's React page (resources/echo_react/page.jsx:
| React, react-dom, pusher-js and @laravel/echo-react) with esbuild into
| tmp/echo-react/, which is git-ignored. React ships no browser build, so
| GET /echo-react needs this step; its browser test runs it first.
|
*/
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const ROOT = new URL('../', import.meta.url)

/**
 * Where the bundle goes; GET /assets/echo-react.js serves it from there
 * (app/controllers/echo_react_page_controller.ts)
 */
export const ECHO_REACT_BUNDLE = new URL('tmp/echo-react/echo-react.js', ROOT)

export async function buildEchoReactPage() {
  await build({
    entryPoints: [fileURLToPath(new URL('resources/echo_react/page.jsx', ROOT))],
    outfile: fileURLToPath(ECHO_REACT_BUNDLE),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    jsx: 'automatic',
    minify: true,
    // React picks its production build by this; nothing defines it in a browser
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  })
  return ECHO_REACT_BUNDLE
}

if (import.meta.main) {
  const bundle = await buildEchoReactPage()
  console.log(`built ${relative(fileURLToPath(ROOT), fileURLToPath(bundle))}`)
}
