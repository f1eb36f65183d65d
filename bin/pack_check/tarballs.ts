import { readFile } from 'node:fs/promises'
import { builtinModules } from 'node:module'
import { dirname, join, normalize } from 'node:path'
import fastGlob from 'fast-glob'
import { run } from './processes.ts'

export interface Tarball {
  name: string
  path: string
  files: string[]
}

/**
 * "npm pack" of the package in "dir" into "destination". Scripts are
 * skipped: the caller has just built.
 */
export async function pack(dir: string, destination: string, env: NodeJS.ProcessEnv) {
  const { code, output } = await run(
    'npm',
    ['pack', '--json', '--silent', '--ignore-scripts', '--pack-destination', destination],
    { cwd: dir, env }
  )
  if (code !== 0) throw new Error(`npm pack in ${dir} exited ${code}:\n${output}`)
  const [report] = JSON.parse(output) as {
    name: string
    filename: string
    files: { path: string }[]
  }[]
  return {
    name: report.name,
    path: join(destination, report.filename),
    files: report.files.map((file) => file.path),
  } satisfies Tarball
}

/**
 * What the built package needs that the tarball lacks: every "exports"
 * target with its declarations, and the stubs "configure" and the make
 * commands render. Sources and the example app must not ship.
 */
export async function tarballProblems(dir: string, tarball: Tarball) {
  const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'))
  const shipped = new Set(tarball.files)
  const needed = [manifest.main as string]
  for (const target of Object.values(manifest.exports as Record<string, { default: string }>)) {
    needed.push(target.default, target.default.replace(/\.js$/, '.d.ts'))
  }
  const stubs = await fastGlob('stubs/**/*.stub', { cwd: dir })
  needed.push(...stubs.map((stub) => `build/${stub}`))

  const problems = needed
    .map((file) => file.replace(/^\.\//, ''))
    .filter((file) => !shipped.has(file))
    .map((file) => `missing ${file}`)
  const unwanted = tarball.files.filter(
    (file) =>
      /^build\/(bin|tests|app|start|config|bench)\//.test(file) ||
      (file.endsWith('.ts') && !file.endsWith('.d.ts'))
  )
  return [
    ...problems,
    ...unwanted.map((file) => `unwanted ${file}`),
    ...(await importProblems(dir, manifest, shipped)),
  ].map((problem) => `${tarball.name}: ${problem}`)
}

/**
 * Static and dynamic import specifiers of a compiled module
 */
const IMPORT_PATTERNS = [
  /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm,
  /^\s*import\s*['"]([^'"]+)['"]/gm,
  /(?<![.\w])import\(\s*['"]([^'"]+)['"]\s*\)/g,
]

/**
 * What the shipped modules import and the tarball does not provide: a
 * relative file it lacks, or a package that is neither a dependency nor
 * a peer (npm would not install it, and nothing tells the app to)
 */
async function importProblems(dir: string, manifest: any, shipped: Set<string>) {
  const declared = new Set([
    manifest.name,
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
  ])
  const problems = new Set<string>()
  for (const file of [...shipped].filter((path) => path.endsWith('.js'))) {
    const source = await readFile(join(dir, file), 'utf8')
    const specifiers = IMPORT_PATTERNS.flatMap((pattern) =>
      [...source.matchAll(pattern)].map((match) => match[1])
    )
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) {
        const target = normalize(join(dirname(file), specifier))
        if (!shipped.has(target)) problems.add(`${file} imports ${specifier}, not shipped`)
        continue
      }
      const name = specifier.startsWith('@')
        ? specifier.split('/').slice(0, 2).join('/')
        : specifier.split('/')[0]
      if (specifier.startsWith('node:') || builtinModules.includes(name)) continue
      if (!declared.has(name)) problems.add(`${file} imports ${name}, not a dependency or peer`)
    }
  }
  return [...problems]
}
