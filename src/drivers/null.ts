import type { BroadcastDriver } from './types.ts'

/**
 * Drops every message: for apps or environments that must not broadcast
 */
export class NullDriver implements BroadcastDriver {
  async send() {}
}
