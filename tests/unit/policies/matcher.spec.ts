import { test } from '@japa/runner'
import fc from 'fast-check'
import { compilePattern } from '../../../src/policies/pattern.ts'
import { IndexedMatcher } from '../../../src/policies/matcher.ts'
import { RegexLinearMatcher } from '../../helpers/regex_matcher.ts'

function entries(patterns: string[]) {
  return patterns.map((source, order) => ({ pattern: compilePattern(source), order }))
}

function winner(patterns: string[], channel: string) {
  return new IndexedMatcher(entries(patterns)).match(channel)?.pattern.source ?? null
}

test.group('Policies | precedence and matcher', () => {
  test('a literal name beats placeholders and *', ({ assert }) => {
    const patterns = ['private-*', 'private-<userId>', 'private-admins']
    assert.equal(winner(patterns, 'private-admins'), 'private-admins')
    assert.equal(winner(patterns, 'private-2'), 'private-<userId>')
    assert.equal(winner(patterns, 'private-2.x'), 'private-*')
    assert.isNull(winner(patterns, 'private-'))
    assert.isNull(winner(patterns, 'presence-2'))
  })

  test('position by position: literal > <x:int> > <x> > *', ({ assert }) => {
    const patterns = ['private-<name>', 'private-<id:int>', 'private-1<rest>', 'private-*']
    assert.equal(winner(patterns, 'private-12'), 'private-1<rest>')
    assert.equal(winner(patterns, 'private-22'), 'private-<id:int>')
    assert.equal(winner(patterns, 'private-022'), 'private-<name>')
    assert.equal(winner(patterns, 'private-a.b'), 'private-*')
  })

  test('<x:uuid> ranks with <x:int>: above <x> and *', ({ assert }) => {
    const id = '0f8fad5b-d9cb-469f-a165-70867728950e'
    const patterns = ['private-u.*', 'private-u.<name>', 'private-u.<id:uuid>', 'private-u.<n:int>']
    assert.equal(winner(patterns, `private-u.${id}`), 'private-u.<id:uuid>')
    assert.equal(winner(patterns, `private-u.${id.toUpperCase()}`), 'private-u.*')
    assert.equal(winner(patterns, 'private-u.42'), 'private-u.<n:int>')
    assert.equal(winner(patterns, 'private-u.abc'), 'private-u.<name>')
    assert.equal(
      winner(['private-*', 'private-<id:uuid>.<b>'], `private-${id}.x`),
      'private-<id:uuid>.<b>'
    )
  })

  test('the longer token list wins when one is a prefix of the other, then file order', ({
    assert,
  }) => {
    assert.equal(
      winner(['private-team.*', 'private-team.<t>.*'], 'private-team.a.b'),
      'private-team.<t>.*'
    )
    // Same kinds everywhere: the first in file order wins
    assert.equal(winner(['private-<a>x<b>', 'private-<a>y<b>'], 'private-1x2y3'), 'private-<a>x<b>')
    assert.equal(winner(['private-<a>y<b>', 'private-<a>x<b>'], 'private-1x2y3'), 'private-<a>y<b>')
  })

  test('list order is the order tried', ({ assert }) => {
    const matcher = new IndexedMatcher(entries(['private-*', 'private-<u>', 'private-admins']))
    assert.deepEqual(
      matcher.ordered().map((e) => e.pattern.source),
      ['private-admins', 'private-<u>', 'private-*']
    )
  })

  test('property: the indexed matcher picks exactly what the linear reference picks', () => {
    const piece = fc.constantFrom('a', 'b', '1', '0', '.', '-', '_', 'ab', '12', '01')
    const literal = fc.array(piece, { minLength: 0, maxLength: 3 }).map((p) => p.join(''))
    const patternArb = fc
      .tuple(
        fc.constantFrom('private-', 'presence-'),
        fc.array(fc.tuple(literal, fc.constantFrom('', '<p>', '<q:int>')), { maxLength: 3 }),
        fc.boolean()
      )
      .map(([prefix, parts, star]) => {
        let source = prefix
        let index = 0
        for (const [text, placeholder] of parts) {
          source += text
          if (placeholder && /[A-Za-z0-9_.\-]$/.test(source) && !source.endsWith('>')) {
            source += placeholder.replace(/<(\w)/, `<$1${index++}`)
          }
        }
        return star && !source.endsWith('>') ? `${source}*` : source
      })
    const channelArb = fc
      .tuple(fc.constantFrom('private-', 'presence-', 'privat'), fc.array(piece, { maxLength: 6 }))
      .map(([prefix, parts]) => prefix + parts.join(''))

    fc.assert(
      fc.property(
        fc.uniqueArray(patternArb, { maxLength: 25 }),
        fc.array(channelArb, { minLength: 1, maxLength: 20 }),
        (patterns, channels) => {
          const list = entries(patterns)
          const indexed = new IndexedMatcher(list)
          const linear = new RegexLinearMatcher(list)
          for (const channel of channels) {
            if (indexed.match(channel) !== linear.match(channel)) return false
          }
          return true
        }
      ),
      { numRuns: 400 }
    )
  })
})
