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

/** The fields of `user` an expression reads (`user.x`, `user['x']`) */
export function userFieldReads(source: string): string[] {
  const parsed = parse(source)
  if (!parsed) return []
  const fields = new Set<string>()
  for (const node of nodes(parsed.ast)) {
    if ((node.op !== '.' && node.op !== '[]') || node.args[0]?.op !== 'id') continue
    if (node.args[0].args !== 'user') continue
    const key = node.args[1]
    if (typeof key === 'string') fields.add(key)
    else if (key?.op === 'value' && typeof key.args === 'string') fields.add(key.args)
  }
  return [...fields]
}
