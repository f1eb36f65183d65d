import { test } from '@japa/runner'
import fc from 'fast-check'
import { compilePattern, matchPattern, testPattern } from '../../../src/policies/pattern.ts'
import { SourceTextError } from '../../../src/errors.ts'
import { patternRegex, regexMatch } from '../../helpers/regex_matcher.ts'

const matches = (pattern: string, channel: string) => matchPattern(compilePattern(pattern), channel)

test.group('Policies | pattern compiler', () => {
  test('a placeholder matches letters, digits and _ only, never a delimiter', ({ assert }) => {
    assert.deepEqual(matches('private-<userId>', 'private-2'), { userId: '2' })
    assert.deepEqual(matches('private-<userId>', 'private-02'), { userId: '02' })
    assert.deepEqual(matches('private-<userId>', 'private-ab_C9'), { userId: 'ab_C9' })
    for (const near of [
      'private-2.x',
      'private-1.admin',
      'private-',
      'private-2-3',
      'private-a@b',
      'xprivate-2',
    ]) {
      assert.isNull(matches('private-<userId>', near), near)
    }
  })

  test('<x:int> accepts canonical integers only and yields a BigInt', ({ assert }) => {
    assert.deepEqual(matches('presence-chat.<roomId:int>', 'presence-chat.42'), { roomId: 42n })
    assert.deepEqual(matches('presence-chat.<roomId:int>', 'presence-chat.0'), { roomId: 0n })
    for (const near of [
      'presence-chat.042',
      'presence-chat.-1',
      'presence-chat.1a',
      'presence-chat.',
      'presence-chat.12345678901234567',
    ]) {
      assert.isNull(matches('presence-chat.<roomId:int>', near), near)
    }
  })

  test('trailing * matches one or more characters, delimiters included', ({ assert }) => {
    assert.deepEqual(matches('private-team.*', 'private-team.1.admins'), {})
    assert.isNull(matches('private-*', 'private-'))
    assert.isNull(matches('private-team.*', 'private-team'))
    assert.isNotNull(matches('private-*', 'private-x'))
  })

  test('literal characters are escaped and matching is anchored', ({ assert }) => {
    assert.isNull(matches('private-a.b', 'private-aXb'))
    assert.isNull(matches('private-a.b', 'private-a.bc'))
    assert.isNotNull(matches('private-a.b', 'private-a.b'))
    assert.deepEqual(matches('private-<a>.<b>', 'private-x.y'), { a: 'x', b: 'y' })
  })

  test('<x:uuid> accepts canonical lowercase 8-4-4-4-12 hex only', ({ assert }) => {
    const id = '0f8fad5b-d9cb-469f-a165-70867728950e'
    assert.deepEqual(matches('private-user.<id:uuid>', `private-user.${id}`), { id })
    assert.deepEqual(matches('private-<a:uuid>.<b>', `private-${id}.x_1`), { a: id, b: 'x_1' })
    for (const near of [
      `private-user.${id.toUpperCase()}`,
      `private-user.${id.replace('0f', '0F')}`,
      `private-user.${id.replaceAll('-', '')}`,
      `private-user.${id}0`,
      `private-user.${id.slice(1)}`,
      `private-user.{${id}}`,
      `private-user.${id.replace('-', '_')}`,
      'private-user.0f8fad5bd-9cb-469f-a165-70867728950e',
      'private-user.g f8fad5b-d9cb-469f-a165-70867728950e'.replace(' ', ''),
    ]) {
      assert.isNull(matches('private-user.<id:uuid>', near), near)
    }
  })

  test('near-miss names are decided in linear time, even with placeholders around "_"', ({
    assert,
  }) => {
    // A backtracking regex tries every split of the underscores: minutes per name
    const pattern = compilePattern('private-<a>_<b>_<c>_<d>_<e>_<f>')
    const miss = `private-${'_'.repeat(190)}.`
    const hit = `private-${'a_'.repeat(95)}b`
    assert.isNull(matchPattern(pattern, miss))
    assert.isFalse(testPattern(pattern, miss))
    assert.deepEqual(matchPattern(pattern, hit), {
      a: 'a_'.repeat(90) + 'a',
      b: 'a',
      c: 'a',
      d: 'a',
      e: 'a',
      f: 'b',
    })
  })

  test('property: the linear matcher matches and captures exactly as the regex did', () => {
    const uuid = '0f8fad5b-d9cb-469f-a165-70867728950e'
    const piece = fc.constantFrom('a', 'b', '1', '0', '9', '_', '.', '-', '__', 'a_', '_1', '01')
    const literal = fc.array(piece, { minLength: 1, maxLength: 3 }).map((p) => p.join(''))
    const placeholder = fc.constantFrom('', '<p>', '<q:int>', '<u:uuid>')
    const patternArb = fc
      .tuple(
        fc.constantFrom('private-', 'presence-x'),
        fc.array(fc.tuple(placeholder, literal), { maxLength: 5 }),
        fc.constantFrom('', '<p>', '<q:int>', '<u:uuid>', '*')
      )
      .map(([prefix, parts, tail]) => {
        let source = prefix
        let index = 0
        const add = (token: string) => {
          if (token === '*') return (source += '*')
          source += token.replace(/<(\w)/, `<$1${index++}`)
        }
        for (const [token, text] of parts) {
          add(token)
          source += text
        }
        add(tail)
        return source
      })
      // Keep within the 200-character minimum length
      .filter((source) => (source.match(/uuid/g) ?? []).length <= 3)
    const namePiece = fc.oneof(
      piece,
      fc.constantFrom(uuid, uuid.toUpperCase(), '12345678901234567', '0', '42', '@', ',;=')
    )
    const nameArb = fc
      .tuple(fc.constantFrom('private-', 'presence-x'), fc.array(namePiece, { maxLength: 10 }))
      .map(([prefix, parts]) => prefix + parts.join(''))

    fc.assert(
      fc.property(
        patternArb,
        fc.array(nameArb, { minLength: 1, maxLength: 10 }),
        (source, names) => {
          const pattern = compilePattern(source)
          for (const name of names) {
            const expected = regexMatch(pattern, name)
            const actual = matchPattern(pattern, name)
            if (
              JSON.stringify(actual, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)) !==
              JSON.stringify(expected, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))
            ) {
              throw new Error(`${source} on ${name}: ${JSON.stringify(actual, String)} vs regex`)
            }
            if (testPattern(pattern, name) !== patternRegex(pattern).test(name)) return false
          }
          return true
        }
      ),
      { numRuns: 3000 }
    )
  })

  test('rejects {pattern}')
    .with([
      { pattern: 'releases', offset: 0, message: 'must start with "private-" or "presence-"' },
      { pattern: 'private-<a', offset: 8, message: 'unclosed placeholder' },
      { pattern: 'private-<1a>', offset: 9, message: 'invalid placeholder name "1a"' },
      { pattern: 'private-<a:hex>', offset: 11, message: 'unknown placeholder type "hex"' },
      { pattern: 'private-<a:int:x>', offset: 11, message: 'unknown placeholder type "int:x"' },
      { pattern: 'private-<user>', offset: 9, message: 'placeholder name "user" is reserved' },
      { pattern: 'private-<a>.<a>', offset: 13, message: 'placeholder "a" appears twice' },
      { pattern: 'private-<a><b>', offset: 11, message: 'two placeholders must be separated' },
      { pattern: 'private-*.x', offset: 8, message: '"*" is only allowed at the end' },
      { pattern: 'private-<a>*', offset: 11, message: '"*" must follow literal text' },
      { pattern: 'private-a/b', offset: 9, message: 'invalid character "/"' },
      { pattern: `private-${'a'.repeat(193)}`, offset: 0, message: 'longer than 200' },
    ])
    .run(({ assert }, { pattern, offset, message }) => {
      try {
        compilePattern(pattern)
        assert.fail('should throw')
      } catch (error) {
        assert.instanceOf(error, SourceTextError)
        assert.include((error as SourceTextError).message, message)
        assert.equal((error as SourceTextError).offset, offset)
      }
    })
})
