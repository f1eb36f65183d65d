import { readFile } from 'node:fs/promises'
import type { HttpContext } from '@adonisjs/core/http'
import app from '@adonisjs/core/services/app'
import env from '#start/env'

const templates = new Map<string, string>()

/**
 * The laravel-echo hooks pages (/echo-vue, /echo-react): their template
 * with "{{config}}" replaced by what the page needs to configure Echo. The
 * signed-in user (logged in on the demo page) gets the private and presence
 * examples; the page posts to the auth route with its CSRF token.
 */
export async function renderEchoPage(
  { request, response, auth }: HttpContext,
  templateFile: string
) {
  await auth.check()
  let template = templates.get(templateFile)
  if (template === undefined) {
    template = await readFile(app.makePath(templateFile), 'utf8')
    templates.set(templateFile, template)
  }
  const config = {
    key: env.get('PUSHER_APP_KEY'),
    csrfToken: request.csrfToken,
    user: auth.user ? { id: auth.user.id, name: auth.user.fullName } : null,
  }
  response.header('content-type', 'text/html; charset=utf-8')
  return template.replace('{{config}}', JSON.stringify(config).replace(/</g, '\\u003c'))
}
