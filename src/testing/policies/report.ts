import type { PolicyCoverage, PolicyTestResult } from './run_tests.ts'

/** How a file is named in the report (commands print paths relative to the app) */
type FileName = (file: string) => string

const asIs: FileName = (file) => file

/**
 * A failed case: its name and place, what went wrong, and the decision
 * (deciding pattern and reason) that explains it
 */
export function formatFailure(result: PolicyTestResult, name: FileName = asIs): string {
  const { testCase, decision } = result
  const { file, line, column } = testCase.position
  return [
    `${testCase.name} (${name(file)}:${line}:${column})`,
    ...result.problems.map((problem) => `  ${problem}`),
    `  channel: ${testCase.channel}`,
    `  pattern: ${decision.pattern ?? '(none)'}`,
    `  reason:  ${decision.reason}`,
  ].join('\n')
}

/**
 * What no case reached: patterns, then the branches of reached patterns
 */
export function formatCoverage(coverage: PolicyCoverage, name: FileName = asIs): string[] {
  const { patterns, branches } = coverage
  const lines = [
    `coverage: ${patterns.total - patterns.missed.length}/${patterns.total} patterns, ${branches.total - branches.missed.length}/${branches.total} rule branches`,
  ]
  for (const target of patterns.missed) {
    lines.push(`  pattern never decided: ${target.pattern} (${name(target.file)}:${target.line})`)
  }
  const missedPatterns = new Set(patterns.missed.map((target) => target.pattern))
  for (const branch of branches.missed) {
    if (missedPatterns.has(branch.target.pattern)) continue
    lines.push(`  branch never taken: ${branch.target.pattern} ${branch.label}`)
  }
  return lines
}
