import { isMap, isScalar, type Node, type Pair, type Scalar } from 'yaml'
import type { FileLocator } from './source_position.ts'
import { parseYamlSource } from './yaml_source.ts'

/**
 * A CEL expression as written in YAML, with its node for error positions
 */
export interface ExpressionSpec {
  source: string
  node: Scalar
}

/**
 * A `member:` or top-level `user:` mapping
 */
export interface MappingSpec {
  id: ExpressionSpec
  info: Array<{ key: string; expression: ExpressionSpec }>
  /** The top-level `user:` only: `watchlist: <ids>` or `watchlist: { ids, allow }` */
  watchlist?: WatchlistSpec
}

export interface WatchlistSpec {
  ids: ExpressionSpec
  allow: ExpressionSpec | null
}

/**
 * One entry of the `channels:` map, shape-checked but not compiled
 */
export interface ChannelSpec {
  pattern: string
  keyNode: Scalar
  kind: 'allow' | 'deny'
  /** null for `allow: true` and `deny: true` */
  rule: ExpressionSpec | null
  member: MappingSpec | null
  clientEvents: boolean
}

/**
 * A parsed policy file
 */
export interface PolicyFileSpec {
  locator: FileLocator
  channels: ChannelSpec[]
  user: MappingSpec | null
  userNode: Node | null
}

const CHANNEL_KEYS = ['allow', 'deny', 'member', 'clientEvents']

function keyOf(pair: Pair): Scalar {
  return pair.key as Scalar
}

/**
 * Parses one YAML policy file and checks its shape. Every error is a `PolicyError` with the
 * position of the offending node.
 */
export function parsePolicyFile(source: string, file: string): PolicyFileSpec {
  const { doc, locator, fail } = parseYamlSource(source, file)

  const spec: PolicyFileSpec = { locator, channels: [], user: null, userNode: null }
  if (doc.contents === null) return spec
  if (!isMap(doc.contents)) {
    fail(doc.contents, 'a policy file is a map with a "channels:" key', 'see docs/policies.md')
  }

  const expression = (node: unknown, what: string): ExpressionSpec => {
    if (!isScalar(node) || !['string', 'number'].includes(typeof node.value)) {
      return fail(node as Node, `${what} must be a CEL expression (a string)`)
    }
    return { source: String(node.value), node }
  }

  // `watchlist: user.teamIds`, or `watchlist: { ids: user.teamIds, allow: <rule on watched> }`
  const watchlistOf = (node: unknown): WatchlistSpec => {
    if (!isMap(node)) return { ids: expression(node, 'user.watchlist'), allow: null }
    let ids: ExpressionSpec | null = null
    let allow: ExpressionSpec | null = null
    for (const pair of node.items) {
      const key = String(keyOf(pair).value)
      if (key === 'ids') ids = expression(pair.value, 'user.watchlist.ids')
      else if (key === 'allow') allow = expression(pair.value, 'user.watchlist.allow')
      else fail(keyOf(pair), `unknown key "${key}" in user.watchlist`, 'allowed keys: ids, allow')
    }
    if (!ids) return fail(node, 'user.watchlist needs "ids"', 'e.g. ids: user.teamIds')
    return { ids, allow }
  }

  const mapping = (node: unknown, what: string): MappingSpec => {
    if (!isMap(node)) return fail(node as Node, `${what} must be a map with "id" and "info"`)
    let id: ExpressionSpec | null = null
    let watchlist: WatchlistSpec | undefined
    const info: MappingSpec['info'] = []
    for (const pair of node.items) {
      const key = String(keyOf(pair).value)
      if (key === 'id') {
        id = expression(pair.value, `${what}.id`)
      } else if (key === 'info') {
        if (!isMap(pair.value))
          return fail(keyOf(pair), `${what}.info must be a map of CEL expressions`)
        for (const infoPair of pair.value.items) {
          const infoKey = String(keyOf(infoPair).value)
          info.push({
            key: infoKey,
            expression: expression(infoPair.value, `${what}.info.${infoKey}`),
          })
        }
      } else if (key === 'watchlist' && what === 'user') {
        watchlist = watchlistOf(pair.value)
      } else {
        const keys = what === 'user' ? 'id, info, watchlist' : 'id, info'
        fail(keyOf(pair), `unknown key "${key}" in ${what}`, `allowed keys: ${keys}`)
      }
    }
    if (!id) return fail(node, `${what} needs an "id"`, 'e.g. id: user.id')
    return watchlist ? { id, info, watchlist } : { id, info }
  }

  for (const pair of (doc.contents as any).items as Pair[]) {
    const key = String(keyOf(pair).value)
    if (key === 'user') {
      spec.user = mapping(pair.value, 'user')
      spec.userNode = keyOf(pair)
    } else if (key === 'channels') {
      if (pair.value === null || (isScalar(pair.value) && pair.value.value === null)) continue
      if (!isMap(pair.value)) fail(keyOf(pair), '"channels" must be a map of pattern: policy')
      for (const channelPair of (pair.value as any).items as Pair[]) {
        spec.channels.push(parseChannel(channelPair, fail, mapping, expression))
      }
    } else {
      fail(keyOf(pair), `unknown key "${key}"`, 'a policy file has only "channels" and "user"')
    }
  }
  return spec
}

function parseChannel(
  pair: Pair,
  fail: (node: Node | null | undefined, message: string, hint?: string) => never,
  mapping: (node: unknown, what: string) => MappingSpec,
  expression: (node: unknown, what: string) => ExpressionSpec
): ChannelSpec {
  const keyNode = keyOf(pair)
  if (!isScalar(keyNode) || typeof keyNode.value !== 'string') {
    return fail(keyNode, 'a channel pattern must be a string')
  }
  const pattern = keyNode.value
  if (!isMap(pair.value)) {
    return fail(
      keyNode,
      `"${pattern}" needs a map with "allow" or "deny"`,
      'e.g. allow: user != null'
    )
  }

  const spec: Partial<ChannelSpec> & { allowNode?: Node; memberNode?: Node } = {
    pattern,
    keyNode,
    member: null,
    clientEvents: false,
  }
  for (const item of pair.value.items) {
    const key = String(keyOf(item).value)
    const value = item.value as Scalar
    if (!CHANNEL_KEYS.includes(key)) {
      fail(
        keyOf(item),
        `unknown key "${key}" in "${pattern}"`,
        `allowed keys: ${CHANNEL_KEYS.join(', ')}`
      )
    }
    if (key === 'allow' || key === 'deny') {
      if (spec.kind) {
        fail(keyOf(item), `"${pattern}" has both "allow" and "deny"`, 'keep one of them')
      }
      spec.allowNode = keyOf(item)
      if (key === 'deny') {
        if (!isScalar(value) || value.value !== true) {
          fail(value ?? keyOf(item), '"deny" only takes "true"', 'write conditions under "allow"')
        }
        spec.kind = 'deny'
        spec.rule = null
      } else if (isScalar(value) && typeof value.value === 'boolean') {
        if (value.value === false) {
          fail(value, '"allow: false" is not supported', 'write "deny: true" to deny explicitly')
        }
        spec.kind = 'allow'
        spec.rule = null
      } else {
        spec.kind = 'allow'
        spec.rule = expression(value, `"${pattern}".allow`)
      }
    } else if (key === 'member') {
      spec.memberNode = keyOf(item)
      spec.member = mapping(value, `"${pattern}".member`)
    } else {
      if (!isScalar(value) || typeof value.value !== 'boolean') {
        fail(value ?? keyOf(item), '"clientEvents" takes true or false')
      }
      spec.clientEvents = value.value as boolean
    }
  }

  if (!spec.kind)
    return fail(keyNode, `"${pattern}" needs "allow" or "deny"`, 'e.g. allow: user != null')
  const presence = pattern.startsWith('presence-')
  if (spec.member && (!presence || spec.kind === 'deny')) {
    fail(
      spec.memberNode,
      `"member" is only used on presence channels that allow`,
      'remove it, or rename the pattern to presence-…'
    )
  }
  if (presence && spec.kind === 'allow' && !spec.member) {
    fail(
      keyNode,
      `presence pattern "${pattern}" needs a "member" mapping`,
      'e.g. member: { id: user.id, info: { name: user.fullName } }'
    )
  }
  return spec as ChannelSpec
}
