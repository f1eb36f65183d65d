import type { PolicyEntry } from '../compiler.ts'
import type { SourcePosition } from '../types.ts'
import type { UserShape } from '../user_shape.ts'
import { constantValue, guardedUserFields, userFieldReads } from './expressions.ts'
import { patternAutomaton, type PatternAutomaton } from './pattern_automaton.ts'
import { findWitness } from './witness.ts'

/**
 * Something in the policies that is legal but likely wrong. Never changes
 * what is decided.
 */
export interface PolicyWarning {
  position: SourcePosition
  message: string
}

const at = (entry: PolicyEntry): SourcePosition => ({
  file: entry.file,
  line: entry.line,
  column: entry.column,
})
const where = (entry: PolicyEntry) => `"${entry.pattern.source}" (${entry.file}:${entry.line})`

/** Two patterns can match a common name only if one literal prefix starts the other */
function mayOverlap(a: PolicyEntry, b: PolicyEntry) {
  const [x, y] = [a.pattern.literalPrefix, b.pattern.literalPrefix]
  return x.startsWith(y) || y.startsWith(x)
}

function patternWarnings(entries: PolicyEntry[]): PolicyWarning[] {
  const automata = new Map<PolicyEntry, PatternAutomaton>()
  const automaton = (entry: PolicyEntry) => {
    if (!automata.has(entry)) automata.set(entry, patternAutomaton(entry.pattern))
    return automata.get(entry)!
  }
  const warnings: PolicyWarning[] = []

  entries.forEach((entry, index) => {
    const before = entries.slice(0, index).filter((other) => mayOverlap(entry, other))
    if (!before.length) return

    // The most specific match decides: a name reaches this entry only if no earlier one matches
    if (findWitness([automaton(entry)], before.map(automaton)) === null) {
      const covering = before.filter(
        (other) => findWitness([automaton(entry), automaton(other)], []) !== null
      )
      const named = covering.slice(0, 3).map(where).join(', ')
      const more = covering.length > 3 ? ` and ${covering.length - 3} more` : ''
      warnings.push({
        position: at(entry),
        message: `${entry.kind === 'deny' ? 'deny on ' : ''}"${entry.pattern.source}" never decides: every channel it matches is decided first by ${named}${more}`,
      })
      return
    }
    if (entry.kind !== 'deny') return
    for (const allow of before.filter((other) => other.kind === 'allow')) {
      // An allow inside the denied names is a deliberate exception; one reaching past them is not
      if (findWitness([automaton(allow)], [automaton(entry)]) === null) continue
      const example = findWitness([automaton(allow), automaton(entry)], [])
      if (typeof example !== 'string') continue
      warnings.push({
        position: at(entry),
        message: `deny on "${entry.pattern.source}" is shadowed by the more specific allow ${where(allow)}: e.g. "${example}" is decided by the allow`,
      })
    }
  })
  return warnings
}

function ruleWarnings(entry: PolicyEntry): PolicyWarning[] {
  const rule = entry.sources.rule
  if (!rule || !entry.rule) return []
  const conditions =
    entry.rule.conjuncts.length > 1
      ? [rule.text, ...entry.rule.conjuncts.map((c) => c.text)]
      : [rule.text]
  for (const condition of conditions) {
    const value = constantValue(condition)
    if (value === undefined) continue
    const subject = condition === rule.text ? 'the rule' : `the condition \`${condition}\``
    return [
      {
        position: rule.position,
        message: `"${entry.pattern.source}": ${subject} is always ${value}, whoever asks`,
      },
    ]
  }
  return []
}

/**
 * Fields a rule or mapping reads that the user may not have. A field the
 * shape lacks is already a load error in a rule, so what is left there is a
 * relation, present only when preloaded; `has(user.x)` guards a read.
 */
function fieldWarnings(entry: PolicyEntry, shape: UserShape | null): PolicyWarning[] {
  if (!shape) return []
  const expressions = [
    ...(entry.sources.rule ? [{ ...entry.sources.rule, what: 'the rule' }] : []),
    ...entry.sources.member.map((member) => ({ ...member, what: 'the member mapping' })),
  ]
  const warnings: PolicyWarning[] = []
  for (const { text, position, what } of expressions) {
    const guarded = guardedUserFields(text)
    for (const field of userFieldReads(text)) {
      const missing = !(field in shape.fields)
      if (guarded.includes(field) || (!missing && !shape.optional?.includes(field))) continue
      warnings.push({
        position,
        message: missing
          ? `"${entry.pattern.source}": ${what} reads user.${field}, which ${shape.source} does not have`
          : `"${entry.pattern.source}": ${what} reads user.${field}, a relation of ${shape.source} present only when preloaded${what === 'the rule' ? ' (without it the rule denies)' : ''}`,
      })
    }
  }
  return warnings
}

/**
 * Warnings about loaded policies: patterns that never decide, denies a more
 * specific allow reaches past, constant rules, and rules and presence
 * member mappings reading fields the user may not have. In file order.
 */
export function analyzePolicies(input: {
  entries: PolicyEntry[]
  userShape: UserShape | null
}): PolicyWarning[] {
  const { entries, userShape } = input
  const warnings = [
    ...patternWarnings(entries),
    ...entries.flatMap(ruleWarnings),
    ...entries.flatMap((entry) => fieldWarnings(entry, userShape)),
  ]
  return warnings.sort(
    (a, b) =>
      a.position.file.localeCompare(b.position.file) ||
      a.position.line - b.position.line ||
      a.position.column - b.position.column
  )
}
