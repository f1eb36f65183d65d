import type { SourcePosition } from './types.ts'

/**
 * A policy file that cannot be loaded. The message starts with `file:line:col: ` so editors
 * and terminals can jump to the offending character.
 */
export class PolicyError extends Error {
  file: string
  line: number
  column: number
  hint?: string

  constructor(position: SourcePosition, message: string, hint?: string) {
    super(
      `${position.file}:${position.line}:${position.column}: ${message}${hint ? `\n  hint: ${hint}` : ''}`
    )
    this.name = 'PolicyError'
    this.file = position.file
    this.line = position.line
    this.column = position.column
    this.hint = hint
  }
}

/**
 * Raised while compiling a pattern or a rule, with an offset inside that text. The loader
 * turns it into a `PolicyError` by mapping the offset into the YAML file.
 */
export class SourceTextError extends Error {
  offset: number
  hint?: string

  constructor(offset: number, message: string, hint?: string) {
    super(message)
    this.offset = offset
    this.hint = hint
  }
}

/**
 * The top-level `user:` mapping failed to evaluate for a user (the message holds only the CEL
 * error code, never user data)
 */
export class UserMappingError extends Error {
  code: string

  constructor(code: string, message: string) {
    super(message)
    this.name = 'UserMappingError'
    this.code = code
  }
}
