import { SourceTextError } from '../errors.ts'
import { UUID_LENGTH, isSinglePass } from './pattern_match.ts'
import { MAX_CHANNEL_NAME_LENGTH, channelNameProblem } from '@adonisjs-broadcasting/engine/rules'
import type { CompiledPattern, PatternParam, PatternStep } from './pattern_types.ts'

/**
 * Token kinds, ordered by specificity: a higher value wins at the first position where two
 * patterns differ (see `comparePatterns`). The typed placeholders rank alike: an int and a
 * uuid never match the same text.
 */
export const TokenKind = {
  star: 0,
  placeholder: 1,
  intPlaceholder: 2,
  uuidPlaceholder: 2,
  literal: 3,
} as const

export type { CompiledPattern, PatternParam, PatternStep } from './pattern_types.ts'

const PARAM_TYPES = new Set(['int', 'uuid'])
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const LITERAL_CHAR = /^[A-Za-z0-9_\-=@,.;]$/

/** Names a param cannot take: the declared variables and CEL reserved words */
const RESERVED = new Set([
  'user',
  'channel',
  'socketId',
  'true',
  'false',
  'null',
  'in',
  'as',
  'break',
  'const',
  'continue',
  'else',
  'for',
  'function',
  'if',
  'import',
  'let',
  'loop',
  'package',
  'namespace',
  'return',
  'var',
  'void',
  'while',
])

function pushLiteral(steps: PatternStep[], char: string) {
  const last = steps[steps.length - 1]
  if (last?.kind === 'literal') last.text += char
  else steps.push({ kind: 'literal', text: char })
}

/**
 * Compiles `private-<userId>`, `presence-chat.<roomId:int>`, `private-user.<id:uuid>` or
 * `private-team.*` into the steps `pattern_match.ts` walks (matching is anchored). Throws `SourceTextError` with the offset of the offending character.
 */
export function compilePattern(source: string): CompiledPattern {
  const kinds: number[] = []
  const params: PatternParam[] = []
  const steps: PatternStep[] = []
  let shape = ''
  let literalPrefix: string | null = null
  let minLength = 0
  let i = 0

  while (i < source.length) {
    const char = source[i]
    if (char === '<') {
      const end = source.indexOf('>', i)
      if (end === -1) {
        throw new SourceTextError(
          i,
          `unclosed placeholder in pattern "${source}"`,
          'close it with ">", e.g. <userId>'
        )
      }
      const [name, type, ...rest] = source.slice(i + 1, end).split(':')
      if (!NAME.test(name)) {
        throw new SourceTextError(
          i + 1,
          `invalid placeholder name "${name}" in pattern "${source}"`,
          'a placeholder name starts with a letter or "_" and holds letters, digits and "_"'
        )
      }
      if (rest.length || (type !== undefined && !PARAM_TYPES.has(type))) {
        throw new SourceTextError(
          i + 2 + name.length,
          `unknown placeholder type "${source.slice(i + 2 + name.length, end)}" in pattern "${source}"`,
          'use <name> for text, <name:int> for a canonical integer or <name:uuid> for a lowercase uuid'
        )
      }
      if (RESERVED.has(name)) {
        throw new SourceTextError(
          i + 1,
          `placeholder name "${name}" is reserved`,
          'pick another name'
        )
      }
      if (params.some((param) => param.name === name)) {
        throw new SourceTextError(
          i + 1,
          `placeholder "${name}" appears twice in pattern "${source}"`
        )
      }
      if (kinds.length && kinds[kinds.length - 1] !== TokenKind.literal) {
        throw new SourceTextError(
          i,
          `two placeholders must be separated by literal text in pattern "${source}"`,
          'write e.g. <teamId>.<userId>'
        )
      }
      literalPrefix ??= source.slice(0, i)
      const param: PatternParam = { name, type: (type as 'int' | 'uuid') ?? 'string' }
      params.push(param)
      steps.push({ kind: 'param', param })
      kinds.push(
        type === 'int'
          ? TokenKind.intPlaceholder
          : type === 'uuid'
            ? TokenKind.uuidPlaceholder
            : TokenKind.placeholder
      )
      shape += type ? `<:${type}>` : '<>'
      minLength += type === 'uuid' ? UUID_LENGTH : 1
      i = end + 1
      continue
    }
    if (char === '*') {
      if (i !== source.length - 1) {
        throw new SourceTextError(i, `"*" is only allowed at the end of pattern "${source}"`)
      }
      if (kinds[kinds.length - 1] !== TokenKind.literal) {
        throw new SourceTextError(i, `"*" must follow literal text in pattern "${source}"`)
      }
      literalPrefix ??= source.slice(0, i)
      kinds.push(TokenKind.star)
      steps.push({ kind: 'star' })
      shape += '*'
      minLength++
      i++
      continue
    }
    if (!LITERAL_CHAR.test(char)) {
      throw new SourceTextError(
        i,
        `invalid character "${char}" in pattern "${source}"`,
        'channel names hold only A-Z a-z 0-9 _ - = @ , . ; (placeholders are <name>, <name:int> or <name:uuid>)'
      )
    }
    kinds.push(TokenKind.literal)
    pushLiteral(steps, char)
    shape += char
    minLength++
    i++
  }

  literalPrefix ??= source
  if (!literalPrefix.startsWith('private-') && !literalPrefix.startsWith('presence-')) {
    throw new SourceTextError(
      0,
      `pattern "${source}" must start with "private-" or "presence-"`,
      'public channels need no authorization: subscribe to them without a policy'
    )
  }
  if (minLength > MAX_CHANNEL_NAME_LENGTH) {
    throw new SourceTextError(
      0,
      `pattern "${source}" is longer than ${MAX_CHANNEL_NAME_LENGTH} characters`
    )
  }

  return {
    source,
    literalPrefix,
    exact: literalPrefix === source,
    presence: source.startsWith('presence-'),
    params,
    kinds,
    shape,
    steps,
    singlePass: isSinglePass(steps),
  }
}

export { matchPattern, testPattern } from './pattern_match.ts'

/**
 * True when `channel` is a valid Pusher channel name
 */
export function isValidChannelName(channel: string) {
  return channelNameProblem(channel) === null
}
