import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { PolicyError } from '../errors.ts'

/**
 * One policy file's text
 */
export interface PolicySource {
  file: string
  source: string
}

const POLICY_FILE = /\.ya?ml$/

/**
 * Reads a policy file, or every `*.yaml` / `*.yml` under a folder (recursively, sorted by
 * path so the load order, which breaks precedence ties, is stable)
 */
export async function readPolicySources(pathOrPaths: string | string[]): Promise<PolicySource[]> {
  const sources: PolicySource[] = []
  for (const path of Array.isArray(pathOrPaths) ? pathOrPaths : [pathOrPaths]) {
    const stats = await stat(path).catch(() => null)
    if (!stats) {
      throw new PolicyError({ file: path, line: 1, column: 1 }, 'policy file or folder not found')
    }
    if (!stats.isDirectory()) {
      sources.push({ file: path, source: await readFile(path, 'utf8') })
      continue
    }
    const entries = await readdir(path, { recursive: true, withFileTypes: true })
    const files = entries
      .filter((entry) => entry.isFile() && POLICY_FILE.test(entry.name))
      .map((entry) => join(entry.parentPath, entry.name))
      .sort()
    if (!files.length) {
      throw new PolicyError(
        { file: path, line: 1, column: 1 },
        'no *.yaml policy files in this folder',
        'create one, e.g. policies/channels.yaml with a "channels:" map'
      )
    }
    for (const file of files) sources.push({ file, source: await readFile(file, 'utf8') })
  }
  return sources
}
