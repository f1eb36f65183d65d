import { Composer, LineCounter, Parser, type Document, type Node } from 'yaml'
import { PolicyError } from '../errors.ts'
import { FileLocator } from './source_position.ts'
import { MAX_YAML_DEPTH, duplicateKey, fileSizeError, tooDeep } from './yaml_bounds.ts'

/**
 * A policy or policy-test YAML file, parsed with positions: its document,
 * a locator for its nodes, and "fail", which throws a PolicyError at a
 * node's file:line:col. Invalid YAML fails at once, at its position.
 *
 * Bounded work for any input: the size is capped, the nesting depth is
 * checked on yaml's syntax tree (built without recursion) before the
 * composer recurses, and duplicate keys are found in one pass.
 */
export function parseYamlSource(source: string, file: string, kind: 'policy' | 'test' = 'policy') {
  const lineCounter = new LineCounter()
  const locator = new FileLocator(file, source, lineCounter)
  const fail = (node: Node | null | undefined, message: string, hint?: string): never => {
    throw new PolicyError(node ? locator.node(node) : locator.at(0), message, hint)
  }

  const tooLarge = fileSizeError(file, Buffer.byteLength(source), kind)
  if (tooLarge) throw tooLarge

  const tokens = [...new Parser(lineCounter.addNewLine).parse(source)]
  for (const token of tokens) {
    const deep = tooDeep(token)
    if (deep) {
      throw new PolicyError(
        locator.at(deep.offset),
        `maps and lists nested deeper than ${MAX_YAML_DEPTH} levels`,
        kind === 'policy'
          ? 'a policy needs 5 levels: the file, channels, a pattern, member, info'
          : 'a test user nested deeper than 32 levels is denied anyway'
      )
    }
  }

  // parseDocument without `uniqueKeys`: yaml checks them in quadratic time
  const composer = new Composer({ uniqueKeys: false, prettyErrors: false })
  const docs: Document.Parsed[] = [...composer.compose(tokens, true, source.length)]
  const [doc] = docs
  if (docs.length > 1) {
    throw new PolicyError(
      locator.at(docs[1].range[0]),
      'invalid YAML: a file holds one document (a second "---" starts another)'
    )
  }
  if (doc.errors.length) {
    const error = doc.errors[0]
    throw new PolicyError(locator.at(error.pos[0]), `invalid YAML: ${error.message.split('\n')[0]}`)
  }
  const duplicate = duplicateKey(doc.contents)
  if (duplicate) {
    const { line } = locator.node(duplicate.first)
    fail(
      duplicate.key,
      `invalid YAML: duplicate key "${String(duplicate.key.value).slice(0, 200)}", already at line ${line}`,
      'a map holds each key once: merge the two entries'
    )
  }
  return { doc, locator, fail }
}
