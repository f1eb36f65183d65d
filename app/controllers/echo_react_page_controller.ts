import { existsSync } from 'node:fs'
import type { HttpContext } from '@adonisjs/core/http'
import app from '@adonisjs/core/services/app'
import { renderEchoPage } from '#controllers/echo_page'

/**
 * Written by "npm run build:echo-react" (bin/build_echo_react.ts), never
 * committed: React ships no browser build to serve as it is
 */
const BUNDLE = 'tmp/echo-react/echo-react.js'

/**
 * GET /echo-react: laravel-echo's React hooks against the embedded server
 */
export default class EchoReactPageController {
  handle(ctx: HttpContext) {
    return renderEchoPage(ctx, 'resources/echo_react.html')
  }

  /**
   * GET /assets/echo-react.js: the bundle once built, a 404 that says how
   * to build it before
   */
  bundle({ response }: HttpContext) {
    const bundle = app.makePath(BUNDLE)
    if (!existsSync(bundle)) {
      return response.notFound(`${BUNDLE} is not built: run "npm run build:echo-react"`)
    }
    response.header('content-type', 'text/javascript; charset=utf-8')
    return response.download(bundle)
  }
}
