import string from '@adonisjs/core/helpers/string'
import { PrivateChannel, type ChannelLike } from '../emitting/channels.ts'
import type { Broadcastable } from '../emitting/broadcast_event.ts'
import type { TransactionLike } from '../emitting/transaction.ts'
import { MODEL_EVENT, type ModelAction, type ModelSource } from '../emitting/model_source.ts'

export type { ModelAction } from '../emitting/model_source.ts'

/**
 * What the event needs of a Lucid model
 */
export interface BroadcastingModel {
  $primaryKeyValue?: unknown
  $trx?: TransactionLike
  serialize(): Record<string, unknown>
  constructor: Function
  broadcastOn?(action: ModelAction): ChannelLike | ChannelLike[]
  broadcastAs?(action: ModelAction): string
  broadcastWith?(action: ModelAction): Record<string, unknown>
  broadcastToOthers?(action: ModelAction): boolean
}

/**
 * The default channel of a model: "private-<model>.<id>", the model's
 * class name in snake case ("private-user.1", "private-blog_post.7")
 */
export function modelChannel(model: BroadcastingModel): PrivateChannel {
  return new PrivateChannel(`${string.snakeCase(model.constructor.name)}.${model.$primaryKeyValue}`)
}

/**
 * One action of one model as a broadcastable event: "UserCreated" on the
 * model's channel with its "serialize()" output (so "serializeAs: null"
 * columns, a password hash, never leave). The model's own "broadcastOn",
 * "broadcastAs" and "broadcastWith" receive the action and override each
 * part, and its "broadcastToOthers" leaves out the socket of the request
 * that saved it. It waits for the transaction the model was saved in ("$trx"),
 * and a model saved outside one is sent at once.
 */
export class ModelEvent implements Broadcastable, ModelSource {
  readonly [MODEL_EVENT] = true as const

  constructor(
    public model: BroadcastingModel,
    public action: ModelAction
  ) {}

  broadcastOn() {
    return this.model.broadcastOn?.(this.action) ?? modelChannel(this.model)
  }

  broadcastAs() {
    return (
      this.model.broadcastAs?.(this.action) ??
      `${this.model.constructor.name}${string.pascalCase(this.action)}`
    )
  }

  broadcastWith() {
    return this.model.broadcastWith?.(this.action) ?? this.model.serialize()
  }

  broadcastTransaction() {
    return this.model.$trx
  }

  broadcastToOthers() {
    return this.model.broadcastToOthers?.(this.action) === true
  }
}
