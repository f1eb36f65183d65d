import type { CompiledPattern } from './pattern.ts'
import { testPattern } from './pattern_match.ts'
import { comparePatterns } from './precedence.ts'

interface TrieNode<Entry> {
  children: Map<string, TrieNode<Entry>>
  /** Patterns whose literal prefix ends here, in precedence order */
  entries: Entry[]
}

/**
 * Indexed matcher. Patterns without placeholders live in a map by exact name (a literal name
 * beats every other pattern matching it). The others sit in a character trie keyed by their
 * literal prefix: a lookup walks the channel name down the trie and tries the buckets from the
 * deepest up, because a longer literal prefix always wins (see `comparePatterns`). Only the
 * patterns sharing a prefix of the name are ever tested, so the cost does not grow with the
 * number of unrelated patterns.
 */
export class IndexedMatcher<Entry extends { pattern: CompiledPattern; order: number }> {
  #exact = new Map<string, Entry>()
  #ordered: Entry[]
  #root: TrieNode<Entry> = { children: new Map(), entries: [] }

  constructor(entries: Entry[]) {
    this.#ordered = [...entries].sort(comparePatterns)
    for (const entry of this.#ordered) {
      if (entry.pattern.exact) {
        if (!this.#exact.has(entry.pattern.source)) this.#exact.set(entry.pattern.source, entry)
        continue
      }
      let node = this.#root
      for (const char of entry.pattern.literalPrefix) {
        let child = node.children.get(char)
        if (!child) {
          child = { children: new Map(), entries: [] }
          node.children.set(char, child)
        }
        node = child
      }
      node.entries.push(entry)
    }
  }

  /** Every entry, most specific first */
  ordered(): Entry[] {
    return [...this.#ordered]
  }

  match(channel: string): Entry | null {
    const exact = this.#exact.get(channel)
    if (exact) return exact

    // Buckets along the path; a node at depth d holds prefixes of length d
    const path: TrieNode<Entry>[] = []
    let node: TrieNode<Entry> | undefined = this.#root
    for (let i = 0; node && i < channel.length; i++) {
      if (node.entries.length) path.push(node)
      node = node.children.get(channel[i])
    }
    // A prefix equal to the whole name cannot match: a placeholder or `*` needs one more char

    for (let i = path.length - 1; i >= 0; i--) {
      for (const entry of path[i].entries) {
        if (testPattern(entry.pattern, channel)) return entry
      }
    }
    return null
  }
}
