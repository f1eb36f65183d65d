/**
 * Helpers shared by the benchmarks: flags, free ports, child processes,
 * percentiles, the summary line and the JSON results.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'

export const ROOT = new URL('../../', import.meta.url)
export const quick = process.argv.includes('--quick')

/** Wall-clock milliseconds with sub-millisecond resolution */
export const now = () => performance.timeOrigin + performance.now()

export { freePort } from '../../tests/helpers/app_process.ts'

/**
 * The machine is shared: wait while a test run (bin/test.ts) is going on,
 * so it does not skew the figures. "--no-wait" skips the check.
 */
export async function waitForQuietMachine() {
  if (process.argv.includes('--no-wait')) return
  for (let attempt = 0; attempt < 15; attempt++) {
    let busy = ''
    try {
      busy = execFileSync('pgrep', ['-f', 'bin/test.ts'], { encoding: 'utf8' }).trim()
    } catch {
      return // pgrep exits 1 when nothing matches
    }
    if (!busy) return
    console.log(`# a test run is going on (pids ${busy.split('\n').join(', ')}): waiting 60 s`)
    await sleep(60_000)
  }
}

/**
 * Runs a TypeScript file of this folder as a child process with an IPC
 * channel, under the same Node binary
 */
export function spawnTs(file: string, args: string[] = [], nodeArgs: string[] = []): ChildProcess {
  return spawn(
    process.execPath,
    [
      '--conditions=adonisjs-broadcasting:source',
      '--import=@poppinss/ts-exec',
      ...nodeArgs,
      file,
      ...args,
    ],
    { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }
  )
}

/** Resolves with the next IPC message of the given type */
export function nextMessage<T = any>(child: ChildProcess, type: string, timeoutMs = 120_000) {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup()
      reject(new Error(`no "${type}" message from the child within ${timeoutMs} ms`))
    }, timeoutMs)
    const onMessage = (message: any) => {
      if (message?.type !== type) return
      cleanup()
      resolve(message)
    }
    const onExit = (code: number | null) => {
      cleanup()
      reject(new Error(`the child exited (${code}) before sending "${type}"`))
    }
    const cleanup = () => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
    }
    child.on('message', onMessage)
    child.once('exit', onExit)
  })
}

export async function stopChild(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  if (child.connected) child.send({ type: 'close' })
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}

/**
 * Answers the load generator's clock probes: it estimates the offset
 * between its clock and ours from the probe with the shortest round trip
 */
export function serveClock(child: ChildProcess) {
  child.on('message', (message: any) => {
    if (message?.type === 'clock') child.send({ type: 'clock', t0: message.t0, tp: now() })
  })
}

export function percentile(sorted: ArrayLike<number>, p: number) {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

export const fmt = (value: number, digits = 2) =>
  value >= 1000 || Number.isInteger(value)
    ? Math.round(value).toLocaleString('en-US')
    : value.toFixed(digits)

/**
 * What a ratio rests on: the events measured (per subscriber count, for a
 * fan-out), the seconds of load, or the connections held
 */
export type Basis = { events: number } | { seconds: number } | { connections: number }

/**
 * Under this many events a --quick ratio is a smoke test, not a measurement
 */
const FEW_EVENTS = 100

/**
 * How a --quick line says it is indicative, and what it rests on
 */
export function quickNote(basis: Basis) {
  if ('events' in basis) {
    const few = basis.events < FEW_EVENTS ? `, fewer than ${FEW_EVENTS}: not a measurement` : ''
    return ` [--quick, indicative: ${fmt(basis.events)} events${few}]`
  }
  if ('seconds' in basis) return ` [--quick, indicative: ${fmt(basis.seconds)} s of load]`
  return ` [--quick, indicative: ${fmt(basis.connections)} connections]`
}

/**
 * The summary line every script prints:
 * `<name>: <ratio>x <what> (ours <value> vs <baseline> <value>)`, and with
 * --quick what it rests on
 */
export function summary(
  name: string,
  what: string,
  ours: number,
  baselineName: string,
  baseline: number,
  unit = '',
  subject = 'ours',
  basis?: Basis
) {
  const ratio = ours / baseline
  const u = unit ? ` ${unit}` : ''
  const note = quick && basis ? quickNote(basis) : ''
  const line = `${name}: ${ratio.toFixed(2)}x ${what} (${subject} ${fmt(ours)}${u} vs ${baselineName} ${fmt(baseline)}${u})${note}`
  console.log(line)
  return { name, what, ratio, ours, baselineName, baseline, unit, line }
}

/**
 * The soft limit on open files of this process (children inherit it)
 */
export function fdLimit() {
  return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim())
}

/**
 * The machine's load averages (1, 5, 15 min), said before and after a run
 */
export function loadLine() {
  return loadavg()
    .map((load) => load.toFixed(2))
    .join(' ')
}

export function machine() {
  return {
    node: process.version,
    cores: cpus().length,
    cpu: cpus()[0]?.model,
    quick,
    date: new Date().toISOString(),
  }
}

export async function writeResult(name: string, data: unknown) {
  const dir = new URL('bench/results/', ROOT)
  await mkdir(dir, { recursive: true })
  await writeFile(
    new URL(`${name}.json`, dir),
    JSON.stringify({ ...machine(), ...(data as object) }, null, 2) + '\n'
  )
}
