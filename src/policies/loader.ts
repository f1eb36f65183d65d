import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { PolicyError } from '../errors.ts'
import { fileSizeError } from './yaml_bounds.ts'

/**
 * One policy file's text
 */
export interface PolicySource {
  file: string
  source: string
}

const POLICY_FILE = /\.ya?ml$/
/** Policy tests live beside the policies; they are data for `broadcast:test`, not policies */
const TEST_FILE = /\.test\.ya?ml$/

/** Refuses an oversized file before reading it (the parser refuses it again, for text given directly) */
async function readSource(file: string, size: number, kind: 'policy' | 'test') {
  const tooLarge = fileSizeError(file, size, kind)
  if (tooLarge) throw tooLarge
  return { file, source: await readFile(file, 'utf8') }
}

async function readSources(
  pathOrPaths: string | string[],
  accept: (name: string) => boolean,
  what: { kind: 'policy' | 'test'; missing: string; none: string; hint: string }
): Promise<PolicySource[]> {
  const sources: PolicySource[] = []
  for (const path of Array.isArray(pathOrPaths) ? pathOrPaths : [pathOrPaths]) {
    const stats = await stat(path).catch(() => null)
    if (!stats) {
      throw new PolicyError({ file: path, line: 1, column: 1 }, what.missing)
    }
    if (!stats.isDirectory()) {
      sources.push(await readSource(path, stats.size, what.kind))
      continue
    }
    const entries = await readdir(path, { recursive: true, withFileTypes: true })
    const files = entries
      .filter((entry) => entry.isFile() && accept(entry.name))
      .map((entry) => join(entry.parentPath, entry.name))
      .sort()
    if (!files.length) {
      throw new PolicyError({ file: path, line: 1, column: 1 }, what.none, what.hint)
    }
    for (const file of files) {
      const { size } = await stat(file)
      sources.push(await readSource(file, size, what.kind))
    }
  }
  return sources
}

/**
 * Reads a policy file, or every `*.yaml` / `*.yml` under a folder but test files (recursively,
 * sorted by path so the load order, which breaks precedence ties, is stable)
 */
export function readPolicySources(pathOrPaths: string | string[]): Promise<PolicySource[]> {
  return readSources(pathOrPaths, (name) => POLICY_FILE.test(name) && !TEST_FILE.test(name), {
    kind: 'policy',
    missing: 'policy file or folder not found',
    none: 'no *.yaml policy files in this folder',
    hint: 'create one, e.g. policies/channels.yaml with a "channels:" map',
  })
}

/**
 * Reads a policy test file, or every `*.test.yaml` / `*.test.yml` under a folder
 */
export function readPolicyTestSources(pathOrPaths: string | string[]): Promise<PolicySource[]> {
  return readSources(pathOrPaths, (name) => TEST_FILE.test(name), {
    kind: 'test',
    missing: 'policy test file or folder not found',
    none: 'no *.test.yaml policy test files in this folder',
    hint: 'create one, e.g. policies/channels.test.yaml with a "tests:" list',
  })
}
