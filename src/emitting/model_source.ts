/**
 * What a Lucid model broadcasts about itself
 */
export type ModelAction = 'created' | 'updated' | 'deleted'

/**
 * Marks the events of the Lucid mixin (src/mixins/), so the fake can match
 * them by model class without importing the mixin: an app's own event may
 * well have a "model" field too
 */
export const MODEL_EVENT = Symbol.for('adonisjs-broadcasting:model-event')

/**
 * One action of one model, as the mixin broadcasts it
 */
export interface ModelSource {
  readonly [MODEL_EVENT]: true
  readonly model: object
  readonly action: ModelAction
}

export function isModelSource(value: unknown): value is ModelSource {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Partial<ModelSource>)[MODEL_EVENT] === true
  )
}
