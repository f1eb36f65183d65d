import { SourceTextError } from './errors.ts'
import { MAX_CHANNEL_NAME_LENGTH, channelNameProblem } from '../channel_name.ts'

/**
 * Token kinds, ordered by specificity: a higher value wins at the first position where two
 * patterns differ (see `comparePatterns`)
 */
export const TokenKind = { star: 0, placeholder: 1, intPlaceholder: 2, literal: 3 } as const

export interface PatternParam {
  name: string
  type: 'string' | 'int'
}

/**
 * A channel pattern compiled to an anchored matcher
 */
export interface CompiledPattern {
  source: string
  /** Literal text before the first placeholder or `*` */
  literalPrefix: string
  /** True when the pattern has no placeholder and no `*` */
  exact: boolean
  presence: boolean
  params: PatternParam[]
  /** One kind per token (each literal character is a token) */
  kinds: number[]
  /** The pattern with parameter names erased: two patterns of the same shape match the same names */
  shape: string
  regex: RegExp
}

/** Placeholder values: letters, digits and `_` only, so they never span a delimiter */
const PLACEHOLDER_SOURCE = '([A-Za-z0-9_]+)'
/** Canonical integers only: `042` and `-1` never match */
const INT_SOURCE = '(0|[1-9][0-9]{0,15})'
const STAR_SOURCE = '[A-Za-z0-9_\\-=@,.;]+'
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

function escapeRegex(char: string) {
  return /[.\-=]/.test(char) ? `\\${char}` : char
}

/**
 * Compiles `private-<userId>`, `presence-chat.<roomId:int>` or `private-team.*` into an
 * anchored matcher. Throws `SourceTextError` with the offset of the offending character.
 */
export function compilePattern(source: string): CompiledPattern {
  const kinds: number[] = []
  const params: PatternParam[] = []
  let regex = '^'
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
      if (rest.length || (type !== undefined && type !== 'int')) {
        throw new SourceTextError(
          i + 2 + name.length,
          `unknown placeholder type "${source.slice(i + 2 + name.length, end)}" in pattern "${source}"`,
          'use <name> for text or <name:int> for a canonical integer'
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
      const isInt = type === 'int'
      params.push({ name, type: isInt ? 'int' : 'string' })
      kinds.push(isInt ? TokenKind.intPlaceholder : TokenKind.placeholder)
      regex += isInt ? INT_SOURCE : PLACEHOLDER_SOURCE
      shape += isInt ? '<:int>' : '<>'
      minLength++
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
      regex += STAR_SOURCE
      shape += '*'
      minLength++
      i++
      continue
    }
    if (!LITERAL_CHAR.test(char)) {
      throw new SourceTextError(
        i,
        `invalid character "${char}" in pattern "${source}"`,
        'channel names hold only A-Z a-z 0-9 _ - = @ , . ; (placeholders are <name> or <name:int>)'
      )
    }
    kinds.push(TokenKind.literal)
    regex += escapeRegex(char)
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
    regex: new RegExp(`${regex}$`),
  }
}

/**
 * Matches a channel name against a pattern and returns its params (`<x:int>` as BigInt), or
 * null when it does not match
 */
export function matchPattern(
  pattern: CompiledPattern,
  channel: string
): Record<string, string | bigint> | null {
  const match = pattern.regex.exec(channel)
  if (!match) return null
  const values: Record<string, string | bigint> = {}
  pattern.params.forEach((param, index) => {
    const raw = match[index + 1]
    values[param.name] = param.type === 'int' ? BigInt(raw) : raw
  })
  return values
}

/**
 * True when `channel` is a valid Pusher channel name
 */
export function isValidChannelName(channel: string) {
  return channelNameProblem(channel) === null
}
