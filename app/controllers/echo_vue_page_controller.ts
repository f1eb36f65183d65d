import type { HttpContext } from '@adonisjs/core/http'
import { renderEchoPage } from '#controllers/echo_page'

/**
 * GET /echo-vue: laravel-echo's Vue hooks against the embedded server,
 * with the packages' browser builds and no build step
 */
export default class EchoVuePageController {
  handle(ctx: HttpContext) {
    return renderEchoPage(ctx, 'resources/echo_vue.html')
  }
}
