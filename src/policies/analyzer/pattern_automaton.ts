import type { CompiledPattern } from '../pattern_types.ts'

type CharTest = (char: string) => boolean

/**
 * A pattern as a small nondeterministic automaton over channel-name
 * characters, with the matcher's semantics (pattern_match.ts): `<x>` is one
 * or more word characters, `<x:int>` a canonical integer of up to 16
 * digits, `<x:uuid>` a lowercase uuid, `*` one or more channel characters.
 */
export interface PatternAutomaton {
  edges: Array<Array<{ test: CharTest; to: number }>>
  /** Moves that read nothing (an int may end after any digit) */
  free: number[][]
  accept: number
}

/** Every character a channel name may hold */
export const CHANNEL_CHARS =
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-=@,.;'.split('')

const isWord: CharTest = (c) => /^[A-Za-z0-9_]$/.test(c)
const isDigit: CharTest = (c) => c >= '0' && c <= '9'
const isHex: CharTest = (c) => isDigit(c) || (c >= 'a' && c <= 'f')
const isAny: CharTest = () => true
const UUID_DASHES = new Set([8, 13, 18, 23])
const INT_MAX_DIGITS = 16

export function patternAutomaton(pattern: CompiledPattern): PatternAutomaton {
  const automaton: PatternAutomaton = { edges: [[]], free: [[]], accept: 0 }
  const state = () => {
    automaton.edges.push([])
    automaton.free.push([])
    return automaton.edges.length - 1
  }
  const edge = (from: number, test: CharTest, to: number) => {
    automaton.edges[from].push({ test, to })
  }
  /** One or more characters passing `test` */
  const repeat = (from: number, test: CharTest) => {
    const to = state()
    edge(from, test, to)
    edge(to, test, to)
    return to
  }

  let at = 0
  for (const part of pattern.steps) {
    if (part.kind === 'literal') {
      for (const char of part.text) {
        const to = state()
        edge(at, (c) => c === char, to)
        at = to
      }
    } else if (part.kind === 'star') {
      at = repeat(at, isAny)
    } else if (part.param.type === 'string') {
      at = repeat(at, isWord)
    } else if (part.param.type === 'uuid') {
      for (let i = 0; i < 36; i++) {
        const to = state()
        edge(at, UUID_DASHES.has(i) ? (c) => c === '-' : isHex, to)
        at = to
      }
    } else {
      const end = state()
      edge(at, (c) => c === '0', end)
      let digit = state()
      edge(at, (c) => c >= '1' && c <= '9', digit)
      for (let i = 1; i < INT_MAX_DIGITS; i++) {
        automaton.free[digit].push(end)
        const next = state()
        edge(digit, isDigit, next)
        digit = next
      }
      automaton.free[digit].push(end)
      at = end
    }
  }
  automaton.accept = at
  return automaton
}

/** The states reachable from `states` without reading */
export function closure(automaton: PatternAutomaton, states: number[]): number[] {
  const seen = new Set(states)
  const stack = [...states]
  while (stack.length) {
    for (const next of automaton.free[stack.pop()!]) {
      if (!seen.has(next)) {
        seen.add(next)
        stack.push(next)
      }
    }
  }
  return [...seen].sort((a, b) => a - b)
}

/** The states after reading `char` */
export function step(automaton: PatternAutomaton, states: number[], char: string): number[] {
  const next = new Set<number>()
  for (const from of states) {
    for (const { test, to } of automaton.edges[from]) if (test(char)) next.add(to)
  }
  return closure(automaton, [...next])
}
