import type { LineCounter, Scalar } from 'yaml'
import type { SourcePosition } from './types.ts'

/**
 * Maps an index inside a scalar's parsed value (a rule or a pattern) to its offset in the YAML
 * file: skips the opening quote or the block header, escape sequences, folded line breaks and
 * indentation, so an error points at the offending character itself.
 */
export function scalarOffset(fileSource: string, node: Scalar, valueIndex: number): number {
  const value = String(node.value)
  const [start, end] = node.range ?? [0, 0]
  let s = start
  if (node.type === 'QUOTE_SINGLE' || node.type === 'QUOTE_DOUBLE') s++
  if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') {
    s = fileSource.indexOf('\n', start) + 1
  }

  let v = 0
  while (s < end && v < valueIndex) {
    const char = fileSource[s]
    if (node.type === 'QUOTE_DOUBLE' && char === '\\') {
      const next = fileSource[s + 1]
      s += next === 'x' ? 4 : next === 'u' ? 6 : next === 'U' ? 10 : 2
      v++
    } else if (node.type === 'QUOTE_SINGLE' && char === "'" && fileSource[s + 1] === "'") {
      s += 2
      v++
    } else if (char === value[v]) {
      s++
      v++
    } else {
      s++
    }
  }
  // Land on the character itself, not on the indentation before it
  while (s < end && fileSource[s] !== value[v] && /\s/.test(fileSource[s])) s++
  return s
}

/**
 * Positions inside one YAML file
 */
export class FileLocator {
  constructor(
    public file: string,
    public source: string,
    private lineCounter: LineCounter
  ) {}

  at(offset: number): SourcePosition {
    const { line, col } = this.lineCounter.linePos(offset)
    return { file: this.file, line, column: col }
  }

  /** Position of a node (its first character) */
  node(node: { range?: [number, number, number] | null }): SourcePosition {
    return this.at(node.range?.[0] ?? 0)
  }

  /** Position of the character at `valueIndex` of a scalar's value */
  inScalar(node: Scalar, valueIndex: number): SourcePosition {
    return this.at(scalarOffset(this.source, node, valueIndex))
  }
}
