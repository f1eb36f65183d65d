/**
 * npm run bench [-- --quick]: every benchmark, one after the other (never
 * two at once), then the fan-out plot. Flags are passed on.
 */
import { spawnSync } from 'node:child_process'
import { ROOT, waitForQuietMachine } from './lib/common.ts'

const flags = process.argv.slice(2)
// bench/policies.ts has no short mode (~40 s): --quick leaves it to "npm run bench:policies"
const scripts = ['fanout', 'connections', 'auth', 'ingest', 'cluster', 'policies', 'plot'].filter(
  (name) => !(flags.includes('--quick') && name === 'policies')
)
const started = Date.now()
const quickNotice =
  '--quick: every figure is indicative (short runs); each ratio says what it rests on, and one resting on fewer than 100 events is marked "not a measurement". Full runs: npm run bench'
if (flags.includes('--quick')) console.log(quickNotice)
await waitForQuietMachine()
for (const name of scripts) {
  console.log(`\n== bench/${name}.ts ${flags.join(' ')}`)
  const result = spawnSync(
    process.execPath,
    [
      '--conditions=adonisjs-broadcasting:source',
      '--import=@poppinss/ts-exec',
      `bench/${name}.ts`,
      ...flags,
      '--no-wait',
    ],
    { cwd: ROOT, stdio: 'inherit' }
  )
  if (result.status !== 0) {
    console.error(`bench/${name}.ts failed (${result.status ?? result.signal})`)
    process.exitCode = 1
  }
}
console.log(`\nall benchmarks: ${((Date.now() - started) / 1000).toFixed(0)} s`)
if (flags.includes('--quick')) console.log(quickNotice)
