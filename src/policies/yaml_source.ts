import { LineCounter, parseDocument, type Node } from 'yaml'
import { PolicyError } from '../errors.ts'
import { FileLocator } from './source_position.ts'

/**
 * A policy or policy-test YAML file, parsed with positions: its document,
 * a locator for its nodes, and "fail", which throws a PolicyError at a
 * node's file:line:col. Invalid YAML fails at once, at its position.
 */
export function parseYamlSource(source: string, file: string) {
  const lineCounter = new LineCounter()
  const doc = parseDocument(source, { lineCounter, uniqueKeys: true, prettyErrors: false })
  const locator = new FileLocator(file, source, lineCounter)
  const fail = (node: Node | null | undefined, message: string, hint?: string): never => {
    throw new PolicyError(node ? locator.node(node) : locator.at(0), message, hint)
  }
  if (doc.errors.length) {
    const error = doc.errors[0]
    throw new PolicyError(locator.at(error.pos[0]), `invalid YAML: ${error.message.split('\n')[0]}`)
  }
  return { doc, locator, fail }
}
