import { readFile } from 'node:fs/promises'
import type { HttpContext } from '@adonisjs/core/http'
import app from '@adonisjs/core/services/app'
import env from '#start/env'
import User from '#models/user'

let template: string | undefined

/**
 * Escapes JSON for a <script> block
 */
function safeJson(value: unknown) {
  return JSON.stringify(value).replace(/</g, '\\u003c')
}

/**
 * GET /: the demo page. The client config is rendered by the server, so
 * the page needs no build step.
 */
export default class DemoPageController {
  async handle({ request, response, auth }: HttpContext) {
    await auth.check()
    template ??= await readFile(app.makePath('resources/demo.html'), 'utf8')
    const user = auth.user
      ? { id: auth.user.id, fullName: auth.user.fullName, role: auth.user.role }
      : null
    const users = await User.query().orderBy('id')
    const team = users.map((member) => ({
      id: member.id,
      name: member.fullName,
      online: member.online,
      lastSeenAt: member.lastSeenAt?.toISO() ?? null,
    }))
    const config = {
      key: env.get('PUSHER_APP_KEY'),
      authEndpoint: '/broadcasting/authorize',
      userAuthEndpoint: '/broadcasting/user-auth',
      user,
      team,
    }
    response.header('content-type', 'text/html; charset=utf-8')
    return template
      .replace('{{csrfToken}}', request.csrfToken)
      .replace('{{config}}', safeJson(config))
  }
}
