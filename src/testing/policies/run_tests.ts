import { isDeepStrictEqual } from 'node:util'
import type {
  ChannelPolicies,
  CoverageTarget,
  DecisionBranch,
} from '../../policies/channel_policies.ts'
import { publicChannelDecision } from '../../policies/public_channel.ts'
import type { PolicyDecision } from '../../policies/types.ts'
import type { PolicyTestCase } from './test_file.ts'

/**
 * The outcome of one case: what was decided and, when it failed, why
 */
export interface PolicyTestResult {
  testCase: PolicyTestCase
  decision: PolicyDecision
  problems: string[]
}

/**
 * A branch of a pattern: the rule allowed, one of its conditions denied, or
 * (no rule) the pattern decided
 */
export interface CoverageBranch {
  target: CoverageTarget
  branch: DecisionBranch
  label: string
}

/**
 * What no case reached
 */
export interface PolicyCoverage {
  patterns: { total: number; missed: CoverageTarget[] }
  branches: { total: number; missed: CoverageBranch[] }
}

function problemsOf(testCase: PolicyTestCase, decision: PolicyDecision): string[] {
  const problems: string[] = []
  const got = decision.allowed ? 'allow' : 'deny'
  if (got !== testCase.expect && publicChannelDecision(testCase.channel)) {
    problems.push(
      `expected deny, but "${testCase.channel}" is a public channel: public channels are never authorized, anyone may subscribe (a channel that needs a policy starts with "private-" or "presence-")`
    )
  } else if (got !== testCase.expect) {
    problems.push(`expected ${testCase.expect}, got ${got}`)
  }
  if (testCase.pattern !== undefined && testCase.pattern !== decision.pattern) {
    problems.push(
      `expected pattern ${testCase.pattern === null ? '(none)' : `"${testCase.pattern}"`}, decided by ${decision.pattern === null ? '(none)' : `"${decision.pattern}"`}`
    )
  }
  if (testCase.reason !== undefined && !decision.reason.includes(testCase.reason)) {
    problems.push(`expected the reason to contain "${testCase.reason}"`)
  }
  if (testCase.member !== undefined && !isDeepStrictEqual(testCase.member, decision.member)) {
    problems.push(
      `expected member ${JSON.stringify(testCase.member)}, got ${JSON.stringify(decision.member)}`
    )
  }
  return problems
}

function branchesOf(target: CoverageTarget): CoverageBranch[] {
  if (!target.conditions.length) return [{ target, branch: 'decided', label: 'decides' }]
  return [
    { target, branch: 'allowed', label: 'allows' },
    ...target.conditions.map((condition, index) => ({
      target,
      branch: index,
      label: `denies on \`${condition}\``,
    })),
  ]
}

/**
 * Runs policy test cases, one after the other, and measures which patterns
 * and rule branches they reached
 */
export async function runPolicyTests(
  policies: ChannelPolicies,
  cases: PolicyTestCase[]
): Promise<{ results: PolicyTestResult[]; coverage: PolicyCoverage }> {
  const reached = new Map<string, Set<DecisionBranch>>()
  const results: PolicyTestResult[] = []
  for (const testCase of cases) {
    const publicChannel = publicChannelDecision(testCase.channel)
    const { decision, branch } = publicChannel
      ? { decision: publicChannel, branch: null }
      : await policies.trace(testCase.channel, {
          user: testCase.user,
          socketId: testCase.socketId ?? '1234.5678',
        })
    if (decision.pattern !== null) {
      const taken = reached.get(decision.pattern) ?? new Set()
      if (branch !== null) taken.add(branch)
      reached.set(decision.pattern, taken)
    }
    results.push({ testCase, decision, problems: problemsOf(testCase, decision) })
  }

  const targets = policies.coverageTargets()
  const branches = targets.flatMap(branchesOf)
  return {
    results,
    coverage: {
      patterns: {
        total: targets.length,
        missed: targets.filter((target) => !reached.has(target.pattern)),
      },
      branches: {
        total: branches.length,
        missed: branches.filter((b) => !reached.get(b.target.pattern)?.has(b.branch)),
      },
    },
  }
}
