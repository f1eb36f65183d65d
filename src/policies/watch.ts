import { watch, type FSWatcher } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { ChannelPolicies } from './channel_policies.ts'
import { PolicyError } from '../errors.ts'
import type { PolicyLoadOptions } from './types.ts'

/** Editors write a file in several steps: wait for the last one */
const DEBOUNCE_MS = 100
/** How often a missing folder, or a watcher that failed, is tried again */
const REARM_MS = 500

interface Armed {
  watcher: FSWatcher
  inode: number
}

/** A folder to watch, and the one entry in it that matters (null: all of them) */
interface Target {
  dir: string
  entry: string | null
}

/**
 * The folders to watch for a policy path: a folder, every folder under it, and its parent
 * (for the folder itself being replaced); or a file's folder. Folders, never files: an
 * editor's save writes a new file and renames it over the old one, and a watch on the old
 * file (its inode) then goes silent.
 */
async function targetsOf(path: string): Promise<Target[]> {
  const own = { dir: dirname(path), entry: basename(path) }
  const stats = await stat(path).catch(() => null)
  if (!stats?.isDirectory()) return [own]
  const entries = await readdir(path, { recursive: true, withFileTypes: true }).catch(() => [])
  return [
    own,
    { dir: path, entry: null },
    ...entries
      .filter((entry) => entry.isDirectory())
      .map((entry) => ({ dir: join(entry.parentPath, entry.name), entry: null })),
  ]
}

const keyOf = (target: Target) => (target.entry ? `${target.dir}\n${target.entry}` : target.dir)

/**
 * Watches a policy file or folder and reloads on change: any event in a watched folder, after
 * a 100 ms quiet period, re-reads every file. Survives files replaced (rename over), renamed,
 * deleted then created, new files and folders, and the folder itself replaced: the set of
 * watched folders is checked again after each event, and a watcher that errors or whose
 * folder went away is armed again (every 500 ms until the folder is back).
 *
 * A valid edit is handed to `onChange`; an invalid one is reported to `onError` and the caller
 * keeps the last good policies. Returns a function that stops watching.
 */
export function watchPolicies(
  paths: string | string[],
  onChange: (policies: ChannelPolicies) => void,
  onError: (error: PolicyError) => void,
  options: PolicyLoadOptions = {}
): () => void {
  const list = Array.isArray(paths) ? paths : [paths]
  const armed = new Map<string, Armed>()
  let closed = false
  let timer: NodeJS.Timeout | null = null
  let rearmTimer: NodeJS.Timeout | null = null

  const report = (error: unknown) => {
    if (closed) return
    onError(
      error instanceof PolicyError
        ? error
        : new PolicyError({ file: list[0], line: 1, column: 1 }, String((error as Error)?.message))
    )
  }

  const reload = async () => {
    try {
      const policies = await ChannelPolicies.load(paths, options)
      if (!closed) onChange(policies)
    } catch (error) {
      report(error)
    }
  }

  const disarm = (key: string) => {
    armed.get(key)?.watcher.close()
    armed.delete(key)
  }

  const rearmLater = () => {
    if (closed || rearmTimer) return
    rearmTimer = setTimeout(() => {
      rearmTimer = null
      // Events may have been missed while unwatched: reload as well
      sync().then(schedule, report)
    }, REARM_MS)
  }

  const arm = (key: string, { dir, entry }: Target, inode: number) => {
    try {
      const watcher = watch(dir, (_, name) => {
        if (!entry || !name || name === entry) schedule()
      })
      watcher.on('error', () => {
        disarm(key)
        rearmLater()
      })
      armed.set(key, { watcher, inode })
    } catch {
      rearmLater()
    }
  }

  /**
   * Watches exactly the folders that exist now: new ones are armed, gone ones closed, and one
   * replaced by another folder of the same name (a new inode) is armed again
   */
  async function sync() {
    const wanted = new Map<string, { target: Target; inode: number }>()
    let missing = false
    for (const path of list) {
      for (const target of await targetsOf(path)) {
        const stats = await stat(target.dir).catch(() => null)
        if (stats) wanted.set(keyOf(target), { target, inode: stats.ino })
        else missing = true
      }
    }
    if (closed) return
    for (const [key, current] of armed) {
      if (wanted.get(key)?.inode !== current.inode) disarm(key)
    }
    for (const [key, { target, inode }] of wanted) {
      if (!armed.has(key)) arm(key, target, inode)
    }
    // A folder that does not exist (yet): look again later
    if (missing) rearmLater()
  }

  function schedule() {
    if (closed) return
    if (timer) clearTimeout(timer)
    timer = setTimeout(() => {
      timer = null
      sync().then(reload, report)
    }, DEBOUNCE_MS)
  }

  sync().catch(report)

  return () => {
    closed = true
    if (timer) clearTimeout(timer)
    if (rearmTimer) clearTimeout(rearmTimer)
    for (const key of [...armed.keys()]) disarm(key)
  }
}
