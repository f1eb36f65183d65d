import { test } from '@japa/runner'
import { compilePattern, matchPattern } from '../../../src/policies/pattern.ts'
import { SourceTextError } from '../../../src/policies/errors.ts'

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

  test('rejects {pattern}')
    .with([
      { pattern: 'releases', offset: 0, message: 'must start with "private-" or "presence-"' },
      { pattern: 'private-<a', offset: 8, message: 'unclosed placeholder' },
      { pattern: 'private-<1a>', offset: 9, message: 'invalid placeholder name "1a"' },
      { pattern: 'private-<a:uuid>', offset: 11, message: 'unknown placeholder type "uuid"' },
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
