import type { LifecycleHub } from '../lifecycle/lifecycle_events.ts'
import type { WebhookReporter } from './batch_delivery.ts'
import type { WebhookStats } from './target_queue.ts'
import { WebhookSender, type WebhookTarget } from './webhook_sender.ts'

/**
 * A server's outgoing webhooks: a sender listening to its lifecycle events
 * from each start to its close. The first sender is made with the server,
 * so bad targets fail there; a restart after a close makes a new one, as
 * it makes a new node.
 */
export class OutgoingWebhooks {
  #sender?: WebhookSender
  #closed = false
  #stopListening?: () => void

  constructor(
    protected server: { key: string; secret: string; events: LifecycleHub },
    protected options: { webhooks?: WebhookTarget[]; logger?: WebhookReporter }
  ) {
    this.#sender = this.#create()
  }

  start() {
    if (!this.#sender) return
    if (this.#closed) {
      this.#sender = this.#create()
      this.#closed = false
    }
    const sender = this.#sender!
    this.#stopListening ??= this.server.events.on('lifecycle', (event) => sender.push(event))
  }

  /**
   * What the current (or last) sender sent, failed and dropped, and its
   * targets whose queue is full; undefined without targets
   */
  stats(): (WebhookStats & { full: string[] }) | undefined {
    const sender = this.#sender
    return sender && { ...sender.stats(), full: sender.fullTargets() }
  }

  /**
   * Sends what is queued one last time (see WebhookSender.close)
   */
  async close() {
    this.#stopListening?.()
    this.#stopListening = undefined
    if (!this.#sender || this.#closed) return
    this.#closed = true
    await this.#sender.close()
  }

  #create() {
    const targets = this.options.webhooks
    if (!targets?.length) return undefined
    const { key, secret } = this.server
    return new WebhookSender({ key, secret, targets, logger: this.options.logger })
  }
}
