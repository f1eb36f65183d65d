/**
 * Authorization endpoint: requests per second and p99 latency (autocannon,
 * in this process) for POST /broadcasting/authorize in the example app,
 * logged in, with 1,000 generated policy patterns loaded next to the real
 * ones, against a bare route in the same app process that runs the same
 * middleware and returns a constant signature (the framework's own cost).
 *
 * The app runs as a child (bench/lib/auth_server.ts: bin/server.ts plus
 * the policies path and the baseline routes, set from outside), with
 * NODE_ENV=development on a free port. Rounds alternate between routes.
 *
 * npm run bench:auth [-- --quick]   (writes bench/results/auth.json)
 */
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { startAppProcess } from '../tests/helpers/app_process.ts'
import {
  fmt,
  quick,
  ROOT,
  summary,
  waitForQuietMachine,
  writeResult,
  type Basis,
} from './lib/common.ts'

// autocannon ships no types (and @types/autocannon is not installed)
type CannonResult = {
  non2xx: number
  errors: number
  requests: { average: number; total: number }
  latency: { p50: number; p99: number }
}
const autocannon = createRequire(import.meta.url)('autocannon') as (
  options: Record<string, unknown>
) => Promise<CannonResult>

const PATTERNS = 1000
const DURATION = quick ? 2 : 8
const ROUNDS = quick ? 1 : 2
const CONNECTIONS = 10

/** The real policies plus 1,000 patterns of four shapes (as bench/policies.ts) */
function policiesFolder() {
  const dir = mkdtempSync(join(tmpdir(), 'broadcast-bench-policies-'))
  const real = fileURLToPath(new URL('policies/', ROOT))
  for (const file of readdirSync(real)) copyFileSync(join(real, file), join(dir, file))
  const lines = ['channels:']
  for (let i = 0; i < PATTERNS; i++) {
    switch (i % 4) {
      case 0:
        lines.push(`  private-admins${i}:`, `    allow: user.role == 'admin'`)
        break
      case 1:
        lines.push(`  private-team${i}.<teamId:int>:`, `    allow: user != null && teamId > 0`)
        break
      case 2:
        lines.push(
          `  presence-room${i}-<roomId>:`,
          `    allow: user != null`,
          `    member:`,
          `      id: user.id`,
          `      info: { name: user.fullName }`
        )
        break
      default:
        lines.push(`  private-org${i}.*:`, `    allow: user.role == 'admin'`)
    }
  }
  writeFileSync(join(dir, 'generated.yaml'), lines.join('\n') + '\n')
  return dir
}

async function startApp(policies: string) {
  const profile = process.argv.includes('--profile')
    ? ['--cpu-prof', `--cpu-prof-dir=${fileURLToPath(new URL('bench/results/profiles/', ROOT))}`]
    : []
  // --profile: a CPU profile of the app process in bench/results/profiles/
  return startAppProcess(
    ['--import=@poppinss/ts-exec', ...profile, 'bench/lib/auth_server.ts', policies],
    { LOG_LEVEL: 'warn' }
  )
}

/** A tiny cookie jar: GET / for the CSRF token, POST /login */
async function login(url: string) {
  const jar = new Map<string, string>()
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
  const keep = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const at = pair.indexOf('=')
      jar.set(pair.slice(0, at), pair.slice(at + 1))
    }
  }
  const page = async () => {
    const response = await fetch(url, { headers: { cookie: cookie() } })
    keep(response)
    const token = /name="csrf-token" content="([^"]+)"/.exec(await response.text())?.[1]
    if (!token) throw new Error('no csrf-token meta tag on GET /')
    return token
  }
  const response = await fetch(`${url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/json',
      'accept': 'application/json',
      'x-csrf-token': await page(),
      'cookie': cookie(),
    },
    body: JSON.stringify({ email: 'admin@example.com', password: 'password' }),
  })
  keep(response)
  if (response.status !== 200) return null
  const { user } = (await response.json()) as { user: { id: number } }
  const token = await page() // the session was regenerated on login
  return { userId: user.id, token, cookie: cookie() }
}

async function cannon(
  url: string,
  headers: Record<string, string>,
  body: string,
  duration: number
) {
  const result = await autocannon({
    url,
    method: 'POST',
    headers,
    body,
    connections: CONNECTIONS,
    duration,
  })
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`)
  }
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
  }
}

await waitForQuietMachine()
const policies = policiesFolder()
let app = await startApp(policies)
try {
  let session = await login(app.url)
  if (!session) {
    // No demo users yet: what "npm run demo" does first (idempotent)
    console.log('# login failed: running migration:run and db:seed as "npm run demo" does')
    for (const args of [['migration:run', '--force'], ['db:seed']]) {
      execFileSync(
        process.execPath,
        ['--conditions=adonisjs-broadcasting:source', 'ace.js', ...args],
        {
          cwd: ROOT,
          stdio: 'inherit',
        }
      )
    }
    session = await login(app.url)
    if (!session) throw new Error(`cannot log in as admin@example.com:\n${app.output.join('')}`)
  }
  const headers = {
    'content-type': 'application/x-www-form-urlencoded',
    'accept': 'application/json',
    'x-csrf-token': session.token,
    'cookie': session.cookie,
  }
  const body = `socket_id=1234.5678&channel_name=private-${session.userId}`
  const check = await fetch(`${app.url}/broadcasting/authorize`, { method: 'POST', headers, body })
  const signed = await check.text()
  if (check.status !== 200 || !signed.includes('"auth"')) {
    throw new Error(`POST /broadcasting/authorize answered ${check.status}: ${signed}`)
  }

  const routes = {
    ours: '/broadcasting/authorize',
    bare: '/__bench/authorize',
    withUser: '/__bench/authorize-with-user',
  }
  for (const path of Object.values(routes)) await cannon(app.url + path, headers, body, 1) // warm-up
  const rounds: Record<string, Array<Awaited<ReturnType<typeof cannon>>>> = {
    ours: [],
    bare: [],
    withUser: [],
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, path] of Object.entries(routes)) {
      const result = await cannon(app.url + path, headers, body, DURATION)
      rounds[name].push(result)
      console.log(
        `# ${name} (${path}): ${fmt(result.rps)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms`
      )
    }
  }
  const best = (name: string) => rounds[name].reduce((a, b) => (b.rps > a.rps ? b : a))
  const [ours, bare, withUser] = [best('ours'), best('bare'), best('withUser')]
  const basis: Basis = { seconds: DURATION }
  const lines = [
    summary('auth', 'req/s', ours.rps, 'bare route', bare.rps, 'req/s', 'ours', basis),
    summary('auth p99', 'p99 latency', ours.p99, 'bare route', bare.p99, 'ms', 'ours', basis),
    summary(
      'auth vs bare+auth.check()',
      'req/s',
      ours.rps,
      'bare route with auth.check()',
      withUser.rps,
      'req/s',
      'ours',
      basis
    ),
    summary(
      'bare+auth.check()',
      'req/s',
      withUser.rps,
      'bare route',
      bare.rps,
      'req/s',
      'bare+auth.check()',
      basis
    ),
  ]
  await writeResult('auth', {
    patterns: PATTERNS,
    connections: CONNECTIONS,
    durationSeconds: DURATION,
    rounds,
    summary: lines,
  })
} finally {
  await app.stop()
  rmSync(policies, { recursive: true, force: true })
}
