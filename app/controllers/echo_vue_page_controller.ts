import { readFile } from 'node:fs/promises'
import type { HttpContext } from '@adonisjs/core/http'
import app from '@adonisjs/core/services/app'
import env from '#start/env'

let template: string | undefined

/**
 * GET /echo-vue: laravel-echo's Vue hooks against the embedded server.
 * The signed-in user (logged in on the demo page) gets the private and
 * presence examples; the page posts to the auth route with its CSRF token.
 */
export default class EchoVuePageController {
  async handle({ request, response, auth }: HttpContext) {
    await auth.check()
    template ??= await readFile(app.makePath('resources/echo_vue.html'), 'utf8')
    const config = {
      key: env.get('PUSHER_APP_KEY'),
      csrfToken: request.csrfToken,
      user: auth.user ? { id: auth.user.id, name: auth.user.fullName } : null,
    }
    response.header('content-type', 'text/html; charset=utf-8')
    return template.replace('{{config}}', JSON.stringify(config).replace(/</g, '\\u003c'))
  }
}
