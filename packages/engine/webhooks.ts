/**
 * The outgoing webhook sender alone: Pusher-compatible signed batches with
 * a bounded queue per target. Importing it loads no server or socket code.
 */
export {
  WebhookSender,
  type WebhookTarget,
  type WebhookSenderOptions,
  type WebhookStats,
} from './src/webhooks/webhook_sender.ts'
