import type { ChannelPolicies } from '../../policies/channel_policies.ts'
import { loadPolicyTests } from './load_tests.ts'
import { formatFailure } from './report.ts'
import { runPolicyTests } from './run_tests.ts'

/** What is used of Japa's `test` (kept structural: Japa is not a dependency) */
interface JapaTest {
  (title: string, callback: () => Promise<void>): unknown
  group(title: string, callback: () => void): unknown
}

/**
 * Registers the cases of policy test files as Japa tests, one group per
 * file and one test per case, so `node ace test` runs what
 * `node ace broadcast:test` runs. The policies load once, on first use.
 *
 * @example
 * // tests/unit/policies.spec.ts
 * import { test } from '@japa/runner'
 * import app from '@adonisjs/core/services/app'
 * import { registerPolicyTests } from 'adonisjs-broadcasting/testing'
 *
 * await registerPolicyTests(test, {
 *   tests: app.makePath('policies'),
 *   policies: async () => (await app.container.make('broadcast.policies')).load(),
 * })
 */
export async function registerPolicyTests(
  test: JapaTest,
  options: { tests: string | string[]; policies: () => Promise<ChannelPolicies> }
) {
  const files = await loadPolicyTests(options.tests)
  let loading: Promise<ChannelPolicies> | undefined
  for (const { file, cases } of files) {
    test.group(`policy tests: ${file}`, () => {
      for (const testCase of cases) {
        test(testCase.name, async () => {
          loading ??= options.policies()
          const { results } = await runPolicyTests(await loading, [testCase])
          const [result] = results
          if (result.problems.length) throw new Error(formatFailure(result))
        })
      }
    })
  }
}
