import type { BaseModel } from '@adonisjs/lucid/orm'
import type { NormalizeConstructor } from '@adonisjs/core/types/helpers'
import type { Logger } from '@adonisjs/core/logger'
import type { Broadcaster } from '../emitting/broadcaster.ts'
import { ModelEvent, type BroadcastingModel, type ModelAction } from './model_event.ts'
import { BroadcastAppUnreachableException } from '../errors.ts'

export type { ModelAction } from './model_event.ts'

/**
 * Set by the provider on boot, as "BaseEvent.useEmitter": models are
 * defined before the container can hand them a service
 */
let resolveServices: (() => Promise<ModelBroadcastServices>) | undefined

export interface ModelBroadcastServices {
  broadcast: { use(connection?: string): Broadcaster }
  logger: Logger
}

export function useModelBroadcaster(resolver: () => Promise<ModelBroadcastServices>) {
  resolveServices = resolver
}

export interface WithBroadcastsOptions {
  /**
   * The actions broadcast. Default: all three
   */
  actions?: ModelAction[]
  /**
   * A connection of "config/broadcast.ts". Default: the default one
   */
  connection?: string
}

const HOOKS = { created: 'create', updated: 'update', deleted: 'delete' } as const

/**
 * Lucid mixin broadcasting a model's "created", "updated" and "deleted"
 * (Laravel's BroadcastsEvents): "UserCreated" on "private-user.<id>", with
 * the model's "serialize()" as the payload. Inside a transaction it is sent
 * once the transaction commits, and never if it rolls back. A failure is
 * logged and never fails the save: the row is already written.
 *
 * @example
 * export default class Release extends compose(BaseModel, withBroadcasts()) {
 *   broadcastOn() { return new Channel('releases') }
 * }
 */
export function withBroadcasts(options: WithBroadcastsOptions = {}) {
  const actions = options.actions ?? ['created', 'updated', 'deleted']
  return <Model extends NormalizeConstructor<typeof BaseModel>>(superclass: Model) => {
    /**
     * One handler per action for this model and its subclasses: Lucid
     * copies a parent's hooks to a subclass and keeps them in a set, so
     * the subclass's boot adding the same handler again adds nothing
     */
    const hooks = actions.map(
      (action) =>
        [
          HOOKS[action] as 'create',
          (model: unknown) =>
            broadcastModel(model as BroadcastingModel, action, options.connection),
        ] as const
    )
    class ModelWithBroadcasts extends superclass {
      static boot() {
        if (Object.hasOwn(this, 'booted') && this.booted) return
        super.boot()
        for (const [event, handler] of hooks) this.after(event, handler)
      }
    }
    return ModelWithBroadcasts
  }
}

async function broadcastModel(model: BroadcastingModel, action: ModelAction, connection?: string) {
  if (!resolveServices) return
  const { broadcast, logger } = await resolveServices()
  const event = new ModelEvent(model, action)
  try {
    await broadcast.use(connection).emit(event)
  } catch (error) {
    if (error instanceof BroadcastAppUnreachableException) {
      return BroadcastAppUnreachableException.log(error, logger)
    }
    logger.error({ err: error, event: event.broadcastAs() }, 'broadcast of a model failed')
  }
}
