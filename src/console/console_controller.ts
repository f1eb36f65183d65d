import { randomBytes } from 'node:crypto'
import { inject } from '@adonisjs/core'
import type { HttpContext } from '@adonisjs/core/http'
import { PolicyService } from '../policies/policy_service.ts'
import { AuthorizationService } from '../authorization/authorization_service.ts'
import type { LocalDriver } from '../drivers/local.ts'
import { consolePage, refusedPage } from './console_page.ts'
import { ConsoleConnection } from './console_connection.ts'

/**
 * Largest test event the console sends, in characters of JSON
 */
const MAX_TEST_DATA = 10_000

/**
 * What the broadcaster throws for a bad channel, event name or payload:
 * programmer errors in an app, bad input from the console's form
 */
const INPUT_ERRORS = new Set([
  'E_INVALID_CHANNEL_NAME',
  'E_INVALID_EVENT_NAME',
  'E_PAYLOAD_TOO_LARGE',
])

/**
 * The debug console: the page (GET) and its test events (POST). Both ask
 * the channel policies about the console's reserved channel, as the auth
 * route does when the page subscribes to it: one rule admits everything.
 */
@inject()
export default class ConsoleController {
  constructor(
    protected broadcast: ConsoleConnection,
    protected authorization: AuthorizationService,
    protected policies: PolicyService
  ) {}

  async #decide(ctx: HttpContext) {
    const user = await this.authorization.requestUser(ctx)
    return this.policies.decide(this.broadcast.config.console.channel, { user })
  }

  async show(ctx: HttpContext) {
    const { response } = ctx
    response.header('cache-control', 'no-store')
    response.header('content-type', 'text/html; charset=utf-8')
    const decision = await this.#decide(ctx)
    if (!decision.allowed) {
      const reason = this.authorization.settings.debug ? decision.reason : undefined
      return response.status(403).send(refusedPage(reason))
    }
    const driver = this.broadcast.driver() as Partial<LocalDriver>
    if (!driver.server || !driver.credentials) {
      return response.status(404).send(refusedPage('The console needs the "local" driver'))
    }

    // Inline script and style only with this response's nonce
    const nonce = randomBytes(16).toString('base64')
    response.header(
      'content-security-policy',
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self' ws: wss:; img-src 'self' data:; form-action 'none'; frame-ancestors 'none'`
    )
    const settings = this.broadcast.config
    return response.send(
      consolePage({
        nonce,
        key: driver.credentials.key,
        wsPath: driver.wsPath ?? '',
        authEndpoint: settings.authorization.path,
        channel: settings.console.channel,
        sendPath: `${settings.console.path}/events`,
        csrfToken: (ctx.request as { csrfToken?: string }).csrfToken ?? '',
      })
    )
  }

  /**
   * Sends a test event: { channel, event, data } where data is JSON text
   */
  async send(ctx: HttpContext) {
    const { request, response } = ctx
    const decision = await this.#decide(ctx)
    if (!decision.allowed) return response.forbidden({ error: 'Refused by the channel policies' })

    const { channel, event, data } = request.only(['channel', 'event', 'data'])
    if (typeof channel !== 'string' || typeof event !== 'string' || !channel || !event) {
      return response.badRequest({ error: '"channel" and "event" must be non-empty strings' })
    }
    let payload: unknown = {}
    if (data !== undefined && data !== null && data !== '') {
      if (typeof data !== 'string' || data.length > MAX_TEST_DATA) {
        return response.badRequest({
          error: `"data" must be JSON text of at most ${MAX_TEST_DATA} characters`,
        })
      }
      try {
        payload = JSON.parse(data)
      } catch {
        return response.badRequest({ error: '"data" is not valid JSON' })
      }
    }
    try {
      await this.broadcast.channel(channel, event, payload)
    } catch (error) {
      const code = (error as { code?: string }).code
      const message = (error as Error)?.message ?? String(error)
      // The app's own rules refused it (a name, a size): the sender's to fix
      if (code && INPUT_ERRORS.has(code)) return response.badRequest({ error: message })
      return response.status(502).send({ error: `Broadcast failed: ${message}` })
    }
    return { sent: true, channel, event }
  }
}
