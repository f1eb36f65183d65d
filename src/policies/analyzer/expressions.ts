import { Environment } from '@marcbachmann/cel-js'

/** Parses and evaluates without declarations: the analyzer only reads shapes of expressions */
const loose = new Environment({ unlistedVariablesAreDyn: true })

function* nodes(node: any): Generator<any> {
  if (!node || typeof node !== 'object') return
  if (Array.isArray(node)) {
    for (const child of node) yield* nodes(child)
    return
  }
  if (typeof node.op !== 'string') return
  yield node
  yield* nodes(node.args)
}

function parse(source: string) {
  try {
    return loose.parse(source)
  } catch {
    return null
  }
}

/**
 * The value of an expression that reads nothing (`true`, `1 == 1`), or of a
 * comparison of one text with itself (`user.id == user.id`); undefined when
 * it depends on who asks or cannot be evaluated alone
 */
export function constantValue(source: string): boolean | undefined {
  const parsed = parse(source)
  if (!parsed) return undefined
  const ast = parsed.ast as any
  if (
    (ast.op === '==' || ast.op === '!=') &&
    ![...nodes(ast)].some((n) => n.op === 'call' || n.op === 'rcall')
  ) {
    const [left, right] = ast.args
    if (
      source.slice(left.range.start, left.range.end) ===
      source.slice(right.range.start, right.range.end)
    ) {
      return ast.op === '=='
    }
  }
  if ([...nodes(ast)].some((node) => node.op === 'id')) return undefined
  try {
    const value = parsed({})
    return typeof value === 'boolean' ? value : undefined
  } catch {
    return undefined
  }
}

/** The field of a `user.x` or `user['x']` node, or null */
function userField(node: any): string | null {
  if ((node?.op !== '.' && node?.op !== '[]') || node.args[0]?.op !== 'id') return null
  if (node.args[0].args !== 'user') return null
  const key = node.args[1]
  if (typeof key === 'string') return key
  if (key?.op === 'value' && typeof key.args === 'string') return key.args
  return null
}

/** The fields of `user` an expression reads (`user.x`, `user['x']`) */
export function userFieldReads(source: string): string[] {
  const parsed = parse(source)
  if (!parsed) return []
  const fields = new Set<string>()
  for (const node of nodes(parsed.ast)) {
    const field = userField(node)
    if (field !== null) fields.add(field)
  }
  return [...fields]
}

/** The fields of `user` an expression tests with `has(user.x)` */
export function guardedUserFields(source: string): string[] {
  const parsed = parse(source)
  if (!parsed) return []
  const fields = new Set<string>()
  for (const node of nodes(parsed.ast)) {
    if (node.op !== 'call' || node.args[0] !== 'has') continue
    const field = userField(node.args[1]?.[0])
    if (field !== null) fields.add(field)
  }
  return [...fields]
}
