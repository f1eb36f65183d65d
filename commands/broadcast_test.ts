import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { loadPoliciesFor } from '../src/policies/load_for_command.ts'

/**
 * Runs the policy test files (policies/*.test.yaml) against the policies
 * and reports the patterns and rule branches no case reached
 *
 * @example
 * node ace broadcast:test
 * node ace broadcast:test --tests=tests/policies
 */
export default class BroadcastTest extends BaseCommand {
  static commandName = 'broadcast:test'
  static description = 'Run the policy test files (*.test.yaml) and report their coverage'
  static options: CommandOptions = { startApp: true }

  @flags.string({ description: 'Policy file or folder (default: the configured policies)' })
  declare policies?: string

  @flags.string({
    description: 'Test file or folder (default: the *.test.yaml files beside the policies)',
  })
  declare tests?: string

  async run() {
    const { loadPolicyTests } = await import('../src/testing/policies/load_tests.ts')
    const { runPolicyTests } = await import('../src/testing/policies/run_tests.ts')
    const { formatCoverage, formatFailure } = await import('../src/testing/policies/report.ts')
    const { unknownTestUserFields } = await import('../src/testing/policies/test_users.ts')

    const policies = await loadPoliciesFor(this, this.policies)
    if (!policies) return
    const service = await this.app.container.make('broadcast.policies')
    const testsPath = this.tests
      ? this.app.makePath(this.tests)
      : this.policies
        ? this.app.makePath(this.policies)
        : service.config.path

    let files
    try {
      files = await loadPolicyTests(testsPath)
    } catch (error) {
      this.logger.logError((error as Error).message)
      this.exitCode = 2
      return
    }

    const name = (file: string) => relative(fileURLToPath(this.app.appRoot), file) || file
    const cases = files.flatMap((file) => file.cases)
    const { userShape } = policies.analysisInput()
    for (const { position, message } of unknownTestUserFields(cases, userShape)) {
      this.logger.warning(`${name(position.file)}:${position.line}:${position.column}: ${message}`)
    }
    const { results, coverage } = await runPolicyTests(policies, cases)
    const failed = results.filter((result) => result.problems.length)
    for (const result of failed) {
      this.logger.log(`${this.colors.red('✖')} ${formatFailure(result, name)}`)
    }
    for (const line of formatCoverage(coverage, name)) this.logger.log(line)

    const summary = `${results.length - failed.length} passed, ${failed.length} failed (${results.length} cases in ${files.length} files)`
    if (failed.length) {
      this.logger.logError(summary)
      this.exitCode = 1
    } else {
      this.logger.success(summary)
    }
  }
}
