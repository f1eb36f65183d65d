import { test } from '@japa/runner'
import { ChannelPolicies, PolicyError } from '../../../src/policies/main.ts'
import { parsePolicyTestFile } from '../../../src/testing/policies/test_file.ts'
import { MAX_POLICY_FILE_BYTES, MAX_YAML_DEPTH } from '../../../src/policies/yaml_bounds.ts'
import { parseYamlSource } from '../../../src/policies/yaml_source.ts'

function errorOf(load: () => unknown): PolicyError {
  try {
    load()
  } catch (error) {
    if (error instanceof PolicyError) return error
    throw error
  }
  throw new Error('expected a PolicyError')
}

const policyError = (source: string) =>
  errorOf(() => ChannelPolicies.fromSource(source, 'policy.yaml'))

/** `count` patterns, one per line pair */
function manyPatterns(count: number) {
  let source = 'channels:\n'
  for (let i = 0; i < count; i++) source += `  private-a${i}:\n    allow: true\n`
  return source
}

/** Median time of `run`, in ms */
function median(run: () => unknown, rounds: number) {
  const times: number[] = []
  for (let i = 0; i < rounds; i++) {
    const start = performance.now()
    run()
    times.push(performance.now() - start)
  }
  return times.sort((a, b) => a - b)[Math.floor(rounds / 2)]
}

test.group('Policies | YAML bounds', () => {
  test('a duplicate key fails at the repeat and names the first', ({ assert }) => {
    const error = policyError(
      'channels:\n  private-a:\n    allow: true\n  private-b:\n    allow: true\n  private-a:\n    deny: true\n'
    )
    assert.deepEqual([error.line, error.column], [6, 3])
    assert.include(error.message, 'duplicate key "private-a", already at line 2')

    // In a nested flow map, and in a policy test file
    const member = policyError(
      'channels:\n  presence-a:\n    allow: true\n    member: { id: user.id, info: { n: user.a, n: user.b } }\n'
    )
    assert.deepEqual([member.line, member.column], [4, 47])
    assert.include(member.message, 'duplicate key "n", already at line 4')
    // The first in file order, though the outer map is checked first
    const both = policyError(
      'channels:\n  presence-a:\n    allow: true\n    member: { id: user.id, info: { n: user.a, n: user.b } }\n  presence-a:\n    deny: true\n'
    )
    assert.deepEqual([both.line, both.column], [4, 47])
    const testFile = errorOf(() =>
      parsePolicyTestFile(
        'tests:\n  - { channel: private-a, expect: allow, expect: deny }\n',
        'p.test.yaml'
      )
    )
    assert.match(testFile.message, /^p\.test\.yaml:2:42: invalid YAML: duplicate key "expect"/)
  })

  test('duplicate keys are found in time linear in the number of keys', ({ assert }) => {
    // yaml's uniqueKeys compared each key with every earlier one: 24,000 patterns took 8.8 s
    const small = manyPatterns(1_000)
    const large = manyPatterns(20_000)
    assert.isBelow(Buffer.byteLength(large), MAX_POLICY_FILE_BYTES)
    median(() => parseYamlSource(small, 'p.yaml'), 5)
    const perKeySmall = median(() => parseYamlSource(small, 'p.yaml'), 9) / 1_000
    const perKeyLarge = median(() => parseYamlSource(large, 'p.yaml'), 3) / 20_000
    // A ratio measured in one run, never an absolute time: linear is about
    // 1x, quadratic about 20x here. Generous both ways: the machine is shared.
    assert.isBelow(perKeyLarge / perKeySmall, 5)

    const error = policyError(`${large}  private-a0:\n    deny: true\n`)
    assert.deepEqual([error.line, error.column], [40_002, 3])
    assert.include(error.message, 'duplicate key "private-a0", already at line 2')
  }).timeout(60_000)

  test('a file over 2 MiB is refused before parsing, naming the file and the limit', ({
    assert,
  }) => {
    const padding = `# ${'x'.repeat(200)}\n`.repeat(Math.ceil(MAX_POLICY_FILE_BYTES / 203))
    const policy = policyError(`${padding}channels:\n  private-a:\n    allow: true\n`)
    assert.match(policy.message, /^policy\.yaml:1:1: the file is \d+ bytes, over the 2097152-byte/)
    assert.include(policy.hint, 'split it into several files')

    const tests = errorOf(() =>
      parsePolicyTestFile(`${padding}tests:\n  - { channel: a, expect: allow }\n`, 'p.test.yaml')
    )
    assert.match(tests.message, /^p\.test\.yaml:1:1: .*over the 2097152-byte \(2 MiB\) limit/)
    assert.include(tests.message, 'policy test file')
  })

  test('maps nested 3,000 deep: too deep, with the limit, at the first level over it', ({
    assert,
  }) => {
    // Was "invalid YAML: Maximum call stack size exceeded"
    const info = `${'{ a: '.repeat(3000)}1${' }'.repeat(3000)}`
    const source = `channels:\n  presence-a:\n    allow: true\n    member:\n      id: user.id\n      info:\n        n: ${info}\n`
    const error = policyError(source)
    assert.include(error.message, `nested deeper than ${MAX_YAML_DEPTH} levels`)
    // The file, channels, presence-a, member and info are 5 levels: the 60th "{" is the 65th
    const line = source.split('\n')[6]
    let column = -1
    for (let i = 0; i < MAX_YAML_DEPTH - 4; i++) column = line.indexOf('{', column + 1)
    assert.deepEqual([error.line, error.column], [7, column + 1])

    // Block style, in a policy test file
    let user = '    user:\n'
    for (let depth = 0; depth < 100; depth++) user += `${' '.repeat(6 + 2 * depth)}a:\n`
    const testFile = errorOf(() =>
      parsePolicyTestFile(
        `tests:\n  - channel: private-a\n    expect: deny\n${user}${' '.repeat(206)}b: 1\n`,
        'p.test.yaml'
      )
    )
    assert.match(testFile.message, /^p\.test\.yaml:\d+:\d+: maps and lists nested deeper than 64/)
  })

  test('64 levels are within the limit', ({ assert }) => {
    // 5 levels down to info's map, then 59 more
    const info = `${'{ a: '.repeat(MAX_YAML_DEPTH - 5)}1${' }'.repeat(MAX_YAML_DEPTH - 5)}`
    const error = policyError(
      `channels:\n  presence-a:\n    allow: true\n    member:\n      id: user.id\n      info: { n: ${info} }\n`
    )
    // Parsed: the shape check is what refuses it
    assert.include(error.message, 'member.info.n must be a CEL expression')
  })

  test('a second document is an error at its start', ({ assert }) => {
    const error = policyError('channels:\n  private-a:\n    allow: true\n---\nchannels: {}\n')
    assert.deepEqual([error.line, error.column], [4, 1])
    assert.include(error.message, 'invalid YAML: a file holds one document')
  })
})
