import { RuntimeException } from '@adonisjs/core/exceptions'

/**
 * The fields of `user` that rules may read, with their CEL types (`dyn` when
 * the type is not known). Rules are type-checked against it at load.
 */
export interface UserShape {
  /** Where the fields come from, for messages, e.g. "the User model" */
  source: string
  fields: Record<string, string>
  /** Model fields hidden from serialization: rules never see them */
  hidden: string[]
  /** Fields present only sometimes: relations, serialized only when preloaded */
  optional?: string[]
}

/**
 * "policies.user" in config/broadcast.ts: the Lucid model whose serialized
 * fields rules read, and declared fields (what "serializeUser" adds, or the
 * whole user for apps without Lucid), as CEL types
 *
 * @example
 * user: { model: () => import('#models/user'), fields: { teamIds: 'list<int>' } }
 */
export interface UserShapeConfig {
  model?: () => Promise<{ default: LucidModelLike }>
  fields?: Record<string, string>
}

/**
 * What is read from a Lucid model class: its column, computed and relation
 * definitions (the keys "serialize()" writes)
 */
export interface LucidModelLike {
  name: string
  boot(): void
  $columnsDefinitions: Map<
    string,
    { serializeAs: string | null; serialize?: unknown; meta?: { type?: string } }
  >
  $computedDefinitions: Map<string, { serializeAs: string | null }>
  $relationsDefinitions: Map<string, { serializeAs: string | null }>
}

/** The runtime type TypeScript records for a decorated field (emitDecoratorMetadata) */
function designType(model: LucidModelLike, property: string): string {
  const getMetadata = (Reflect as any).getMetadata
  const type =
    typeof getMetadata === 'function'
      ? getMetadata('design:type', (model as any).prototype, property)
      : undefined
  if (type === String) return 'string'
  if (type === Number) return 'int'
  if (type === Boolean) return 'bool'
  if (type === Array) return 'list<dyn>'
  return 'dyn'
}

/**
 * The shape of a Lucid model as "serialize()" gives it: serialized names,
 * dates as ISO strings, a column with its own "serialize" as `dyn`, fields
 * with `serializeAs: null` left out (and remembered, to explain a read)
 */
export function shapeFromModel(model: LucidModelLike): UserShape {
  model.boot()
  const shape: UserShape = {
    source: `the ${model.name} model`,
    fields: {},
    hidden: [],
    optional: [],
  }
  for (const [property, column] of model.$columnsDefinitions) {
    if (column.serializeAs === null) {
      shape.hidden.push(property)
      continue
    }
    const temporal = column.meta?.type === 'date' || column.meta?.type === 'datetime'
    shape.fields[column.serializeAs] = temporal
      ? 'string'
      : column.serialize
        ? 'dyn'
        : designType(model, property)
  }
  for (const [property, computed] of model.$computedDefinitions) {
    if (computed.serializeAs === null) shape.hidden.push(property)
    else shape.fields[computed.serializeAs] = designType(model, property)
  }
  // Present only when preloaded (e.g. by serializeUser)
  for (const [property, relation] of model.$relationsDefinitions) {
    if (relation.serializeAs === null) shape.hidden.push(property)
    else {
      shape.fields[relation.serializeAs] = 'dyn'
      shape.optional!.push(relation.serializeAs)
    }
  }
  return shape
}

/**
 * The shape "policies.user" describes, or null when rules are not
 * type-checked (no "policies.user" in the config)
 */
export async function resolveUserShape(
  config: UserShapeConfig | null | undefined
): Promise<UserShape | null> {
  if (!config) return null
  let shape: UserShape = { source: 'policies.user.fields', fields: {}, hidden: [] }
  if (config.model) {
    const module = await config.model()
    if (!module?.default || !(module.default.$columnsDefinitions instanceof Map)) {
      throw new RuntimeException(
        'Invalid "policies.user.model" in "config/broadcast.ts": it must import a Lucid model, e.g. () => import(\'#models/user\')'
      )
    }
    shape = shapeFromModel(module.default)
  }
  if (config.fields) {
    shape.fields = { ...shape.fields, ...config.fields }
    if (config.model) shape.source += ' and policies.user.fields'
  }
  return shape
}
