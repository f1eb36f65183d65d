import { MAX_CHANNEL_NAME_LENGTH } from '@adonisjs-broadcasting/engine/rules'
import { CHANNEL_CHARS, closure, step, type PatternAutomaton } from './pattern_automaton.ts'

/** Explored combinations of states before giving up (then nothing is reported) */
const MAX_STATES = 20_000

/**
 * Characters no automaton tells apart are explored once: one representative
 * per class (literal characters stand alone, letters g-z share a class)
 */
function representatives(automata: PatternAutomaton[]): string[] {
  const classes = new Map<string, string>()
  for (const char of CHANNEL_CHARS) {
    const signature = automata
      .map((automaton) =>
        automaton.edges
          .flat()
          .map(({ test }) => (test(char) ? 1 : 0))
          .join('')
      )
      .join('|')
    if (!classes.has(signature)) classes.set(signature, char)
  }
  return [...classes.values()]
}

/**
 * The shortest channel name every automaton of `all` matches and none of
 * `none` does, or null when there is none ("unknown" when the search is too
 * large to finish: callers then report nothing). A breadth-first walk of
 * the product of the automata, so it runs in bounded time.
 */
export function findWitness(
  all: PatternAutomaton[],
  none: PatternAutomaton[]
): string | null | 'unknown' {
  const automata = [...all, ...none]
  const chars = representatives(automata)
  const start = automata.map((automaton) => closure(automaton, [0]))
  const seen = new Set([JSON.stringify(start)])
  let frontier: Array<{ states: number[][]; name: string }> = [{ states: start, name: '' }]
  const accepts = (states: number[][], i: number) => states[i].includes(automata[i].accept)

  for (let length = 0; length <= MAX_CHANNEL_NAME_LENGTH && frontier.length; length++) {
    const next: typeof frontier = []
    for (const { states, name } of frontier) {
      const found = states.every((_, i) =>
        i < all.length ? accepts(states, i) : !accepts(states, i)
      )
      if (found) return name
      for (const char of chars) {
        const moved = states.map((set, i) => step(automata[i], set, char))
        if (moved.slice(0, all.length).some((set) => !set.length)) continue
        const key = JSON.stringify(moved)
        if (seen.has(key)) continue
        if (seen.size >= MAX_STATES) return 'unknown'
        seen.add(key)
        next.push({ states: moved, name: name + char })
      }
    }
    frontier = next
  }
  return null
}
