import { readFile, readdir } from 'node:fs/promises'
import { builtinModules } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from '@japa/runner'

/**
 * The engine stands alone: the AdonisJS package depends on it, never the
 * other way round, and every package it imports is in its own package.json
 */
const ENGINE = fileURLToPath(new URL('../../../packages/engine/', import.meta.url))

async function sources() {
  const entries = await readdir(ENGINE, { recursive: true, withFileTypes: true })
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((file) => !relative(ENGINE, file).split('/').includes('node_modules'))
    .filter((file) => !relative(ENGINE, file).startsWith('build/'))
}

/**
 * Module specifiers of static and dynamic imports and re-exports
 */
function specifiers(code: string) {
  const found = new Set<string>()
  for (const match of code.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'([^']+)'/g)) {
    found.add(match[1])
  }
  return [...found]
}

/**
 * "@scope/name/sub" -> "@scope/name", "name/sub" -> "name"
 */
function packageName(specifier: string) {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

test.group('Engine | package boundary', () => {
  test('imports nothing of AdonisJS and nothing outside its folder', async ({ assert }) => {
    const files = await sources()
    assert.isAbove(files.length, 20)
    const manifest = JSON.parse(await readFile(join(ENGINE, 'package.json'), 'utf8'))
    const declared = new Set([
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
    ])

    const problems: string[] = []
    for (const file of files) {
      const where = relative(ENGINE, file)
      for (const specifier of specifiers(await readFile(file, 'utf8'))) {
        if (specifier.startsWith('.')) {
          const target = resolve(dirname(file), specifier)
          if (relative(ENGINE, target).startsWith('..')) {
            problems.push(`${where} reaches outside the engine: ${specifier}`)
          }
        } else if (specifier.startsWith('node:') || builtinModules.includes(specifier)) {
          continue
        } else if (specifier.startsWith('@adonisjs/')) {
          problems.push(`${where} imports AdonisJS: ${specifier}`)
        } else if (!declared.has(packageName(specifier))) {
          problems.push(`${where} imports "${specifier}", missing from the engine's package.json`)
        }
      }
    }
    assert.deepEqual(problems, [])
  })
})
