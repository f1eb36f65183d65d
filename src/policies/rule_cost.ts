import { RE2_MATCHES } from './cel_regex.ts'
import { INPUT_LIMITS } from './input_bounds.ts'

/**
 * Worst-case cost of evaluating an expression, in steps (one step: about one AST node, or
 * one character scanned by `matches()`), on inputs at the bounds of `input_bounds.ts`. The
 * loader refuses a rule over `RULE_MAX_STEPS`, so no evaluation can stall the process: cel-js
 * has no run-time step limit to rely on.
 */
export const RULE_MAX_STEPS = 1_000_000

/** Macros that walk a list or map, running their body once per entry */
const COMPREHENSIONS = new Set(['all', 'exists', 'exists_one', 'map', 'filter'])

export function estimateSteps(node: any): number {
  if (!node || typeof node !== 'object') return 0
  if (Array.isArray(node)) return node.reduce((sum: number, child) => sum + estimateSteps(child), 0)
  if (node.op === 'rcall') {
    const [name, receiver, args] = node.args
    if (COMPREHENSIONS.has(name) && (node.meta?.alternate || node.meta?.macro)) {
      // A list written in the rule has a known length
      const entries = receiver?.op === 'list' ? receiver.args.length : INPUT_LIMITS.listEntries
      return 1 + estimateSteps(receiver) + entries * estimateSteps(args)
    }
    if (name === RE2_MATCHES) {
      return 1 + INPUT_LIMITS.stringLength + estimateSteps(receiver) + estimateSteps(args)
    }
  }
  // `x in list` compares with every entry
  if (node.op === 'in') return 1 + INPUT_LIMITS.listEntries + estimateSteps(node.args)
  return 1 + estimateSteps(node.args)
}
