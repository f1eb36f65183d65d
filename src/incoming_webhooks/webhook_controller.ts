import { inject } from '@adonisjs/core'
import { Emitter } from '@adonisjs/core/events'
import type { HttpContext } from '@adonisjs/core/http'
import type { EventsList } from '@adonisjs/core/types'
import debug from '../debug.ts'
import { IncomingWebhooks } from './incoming_webhooks.ts'
import { emitLifecycleEvent } from '../lifecycle_events.ts'
import { verifyWebhook } from './verify_webhook.ts'
import { E_INVALID_WEBHOOK, E_WEBHOOK_OUTSIDE_WINDOW, E_WEBHOOK_TOO_LARGE } from '../errors.ts'

/**
 * POST /broadcasting/webhooks: Pusher's webhooks, verified with the
 * configured connection's key and secret, then emitted on the app's
 * emitter as "broadcast:<name>", one event at a time in Pusher's order.
 * An invalid request is refused (401, 413), and so is a batch whose
 * "time_ms" is outside the replay window (400): none emits anything. A
 * valid one answers 200 "{}"; received again inside the window (a retry
 * whose answer Pusher missed, or a replay), it answers the same and emits
 * nothing.
 */
@inject()
export default class WebhookController {
  constructor(
    protected webhooks: IncomingWebhooks,
    protected emitter: Emitter<EventsList>
  ) {}

  async handle(ctx: HttpContext) {
    const { connection } = this.webhooks
    const credentials = this.webhooks.credentials()

    let webhook
    let fresh
    try {
      /**
       * The body as Pusher sent it: the bodyparser keeps the text it
       * parsed, and the signature covers that text, not its JSON value
       */
      webhook = verifyWebhook(
        { headers: ctx.request.headers(), rawBody: ctx.request.raw() },
        credentials,
        connection
      )
      fresh = this.webhooks.replays.admit(webhook.timeMs, webhook.signature)
    } catch (error) {
      if (
        error instanceof E_INVALID_WEBHOOK ||
        error instanceof E_WEBHOOK_TOO_LARGE ||
        error instanceof E_WEBHOOK_OUTSIDE_WINDOW
      ) {
        /**
         * A 401 is not reported by the exception handler: a wrong secret
         * would otherwise go unnoticed while Pusher retries
         */
        ctx.logger.warn(error.message)
      }
      throw error
    }

    if (!fresh) {
      /**
       * 200, not a refusal: Pusher would retry a batch it already delivered
       */
      ctx.logger.warn(
        'Pusher webhook received again (same signature inside "incomingWebhooks.replayWindow"): nothing emitted'
      )
      return {}
    }
    if (webhook.ignored.length) {
      debug('webhooks: ignored unknown events %O', webhook.ignored)
    }
    for (const event of webhook.events) {
      try {
        await emitLifecycleEvent(this.emitter, event)
      } catch (error) {
        /**
         * A failing listener is the app's to fix, not a reason for Pusher
         * to retry: a retry would replay the batch to every listener that
         * already ran. The emitter's "onError" handler, when set, gets it
         * first.
         */
        ctx.logger.error(
          { err: error },
          `A listener of "broadcast:${event.name}" failed on a Pusher webhook`
        )
      }
    }
    return {}
  }
}
