import { readPolicyTestSources } from '../../policies/loader.ts'
import { parsePolicyTestFile, type PolicyTestCase } from './test_file.ts'

/**
 * The cases of a policy test file, or of every `*.test.yaml` under a folder,
 * grouped by file. Throws `PolicyError` with the position of a bad case.
 */
export async function loadPolicyTests(
  pathOrPaths: string | string[]
): Promise<Array<{ file: string; cases: PolicyTestCase[] }>> {
  const sources = await readPolicyTestSources(pathOrPaths)
  return sources.map(({ file, source }) => ({ file, cases: parsePolicyTestFile(source, file) }))
}
