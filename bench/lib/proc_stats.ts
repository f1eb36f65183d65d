/**
 * CPU time and RSS of another process, read from /proc (Linux): the
 * benchmarks' servers that run as child processes (soketi, ours behind its
 * HTTP API) cannot report them through "process.cpuUsage".
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

/** Clock ticks per second of utime/stime (100 on Linux almost everywhere) */
const TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

/**
 * User + system CPU time of a process in µs (utime and stime of
 * /proc/<pid>/stat, so at the resolution of one clock tick, 10 ms)
 */
export function cpuMicros(pid: number) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The command name (field 2) may hold spaces: count fields after its ")"
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const [utime, stime] = [Number(fields[11]), Number(fields[12])]
  return ((utime + stime) * 1e6) / TICKS
}

/** Resident set size of a process in bytes (VmRSS of /proc/<pid>/status) */
export function rssBytes(pid: number) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status)
  if (!match) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(match[1]) * 1024
}
