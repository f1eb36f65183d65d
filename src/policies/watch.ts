import { watch, type FSWatcher } from 'node:fs'
import { stat } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import { ChannelPolicies } from './channel_policies.ts'
import { PolicyError } from './errors.ts'
import type { PolicyLoadOptions } from './types.ts'

/**
 * Watches a policy file or folder and reloads on change (debounced, 100 ms). A valid edit is
 * handed to `onChange`; an invalid one is reported to `onError` and the caller keeps the last
 * good policies. Returns a function that stops watching.
 */
export function watchPolicies(
  paths: string | string[],
  onChange: (policies: ChannelPolicies) => void,
  onError: (error: PolicyError) => void,
  options: PolicyLoadOptions = {}
): () => void {
  let timer: NodeJS.Timeout | null = null
  const watchers: FSWatcher[] = []
  let closed = false
  const list = Array.isArray(paths) ? paths : [paths]

  const reload = async () => {
    try {
      const policies = await ChannelPolicies.load(paths, options)
      if (!closed) onChange(policies)
    } catch (error) {
      if (closed) return
      onError(
        error instanceof PolicyError
          ? error
          : new PolicyError({ file: list[0], line: 1, column: 1 }, String((error as Error).message))
      )
    }
  }
  const schedule = (fileName?: string | null) => {
    if (fileName && !/\.ya?ml$/.test(fileName)) return
    if (timer) clearTimeout(timer)
    timer = setTimeout(reload, 100)
  }

  for (const path of list) {
    stat(path).then(
      (stats) => {
        if (closed) return
        // Editors replace files on save, so a single file is watched through its folder
        watchers.push(
          stats.isDirectory()
            ? watch(path, { recursive: true }, (_, name) => schedule(name))
            : watch(dirname(path), (_, name) => name === basename(path) && schedule())
        )
      },
      (error) => onError(new PolicyError({ file: path, line: 1, column: 1 }, error.message))
    )
  }

  return () => {
    closed = true
    if (timer) clearTimeout(timer)
    watchers.forEach((watcher) => watcher.close())
  }
}
