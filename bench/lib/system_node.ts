/**
 * The machine's own Node 20 and its npm, for soketi: soketi 1.6 and the
 * uWebSockets.js build it runs on need Node 20, while the benchmarks run on
 * the project's Node 24 (node_modules/.bin/node comes first on the PATH of
 * "npm run"). BENCH_NODE20 names the binary when it is somewhere else.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, realpathSync } from 'node:fs'
import { dirname, join } from 'node:path'

export const NODE_MAJOR = 20

function candidates() {
  const found = [process.env.BENCH_NODE20, '/usr/bin/node', '/usr/local/bin/node']
  try {
    found.push(...execFileSync('which', ['-a', 'node'], { encoding: 'utf8' }).split('\n'))
  } catch {}
  return found.filter((path): path is string => !!path && existsSync(path))
}

function majorOf(node: string) {
  try {
    const version = execFileSync(node, ['-p', 'process.versions.node'], {
      encoding: 'utf8',
      timeout: 10_000,
    })
    return Number(version.split('.')[0])
  } catch {
    return Number.NaN
  }
}

/**
 * The first Node 20 found that is not the project's own (any binary under a
 * node_modules folder is skipped); throws a one-line reason otherwise
 */
export function systemNode20() {
  const ours = realpathSync(process.execPath)
  const seen: string[] = []
  for (const path of candidates()) {
    const real = realpathSync(path)
    if (real === ours || real.includes('/node_modules/') || seen.includes(real)) continue
    seen.push(real)
    if (majorOf(real) === NODE_MAJOR) return real
  }
  throw new Error(
    `no Node ${NODE_MAJOR} found outside node_modules (tried ${seen.join(', ') || 'none'}; set BENCH_NODE20)`
  )
}

/** npm's CLI script installed with that Node: <prefix>/lib/node_modules/npm */
export function npmCliOf(node: string) {
  const cli = join(dirname(dirname(node)), 'lib/node_modules/npm/bin/npm-cli.js')
  if (!existsSync(cli)) throw new Error(`no npm next to ${node} (looked for ${cli})`)
  return cli
}

/**
 * The environment for a child on that Node: its folder first on the PATH
 * (install scripts call "node"), and none of npm's own variables from the
 * "npm run" around the benchmark (they carry the project's config)
 */
export function envFor(node: string, extra: Record<string, string> = {}) {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^npm_/i.test(key)) env[key] = value
  }
  env.PATH = `${dirname(node)}:${env.PATH ?? ''}`
  return { ...env, ...extra }
}
