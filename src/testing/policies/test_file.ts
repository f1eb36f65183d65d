import { isMap, isScalar, isSeq, type Node } from 'yaml'
import type { SourcePosition } from '../../errors.ts'
import { parseYamlSource } from '../../policies/yaml_source.ts'
import type { PolicyMember, PolicyUser } from '../../policies/types.ts'

/**
 * One case of a policy test file: who asks for which channel, and what
 * the policies must decide
 */
export interface PolicyTestCase {
  name: string
  position: SourcePosition
  user: PolicyUser
  /** Where the user's fields are written (a named user's entry, or inline) */
  userPosition: SourcePosition | null
  channel: string
  expect: 'allow' | 'deny'
  /** The pattern that must decide, when given */
  pattern?: string | null
  /** Text the reason must contain, when given */
  reason?: string
  /** The presence member the policy must map, when given */
  member?: PolicyMember
  socketId?: string
}

const CASE_KEYS = ['name', 'user', 'channel', 'expect', 'pattern', 'reason', 'member', 'socketId']

/**
 * Parses a policy test file (`policies/*.test.yaml`): named `users`, and
 * `tests`, a list of cases. Every error is a `PolicyError` at the node.
 *
 * @example
 * users:
 *   admin: { id: 1, role: admin }
 * tests:
 *   - { user: admin, channel: private-admins, expect: allow }
 *   - { user: null, channel: private-admins, expect: deny }
 */
export function parsePolicyTestFile(source: string, file: string): PolicyTestCase[] {
  const { doc, locator, fail } = parseYamlSource(source, file, 'test')
  if (!isMap(doc.contents)) {
    return fail(doc.contents, 'a policy test file is a map with a "tests:" list')
  }

  const users = new Map<string, { user: PolicyUser; position: SourcePosition }>()
  let tests: Node | null = null
  for (const pair of doc.contents.items) {
    const key = String((pair.key as any)?.value)
    if (key === 'users') {
      if (!isMap(pair.value)) return fail(pair.key as Node, '"users" is a map of named users')
      for (const user of pair.value.items) {
        if (!isMap(user.value)) return fail(user.key as Node, 'a named user is a map of fields')
        users.set(String((user.key as any).value), {
          user: user.value.toJSON(),
          position: locator.node(user.value),
        })
      }
    } else if (key === 'tests') {
      tests = pair.value as Node
    } else {
      fail(pair.key as Node, `unknown key "${key}"`, 'a policy test file has "users" and "tests"')
    }
  }
  if (!isSeq(tests)) {
    return fail(
      tests ?? doc.contents,
      '"tests" must be a list of cases',
      'e.g. - { user: admin, channel: private-admins, expect: allow }'
    )
  }
  // "0 passed" would read as success: an empty file is a mistake (cases not written, or lost)
  if (!tests.items.length) {
    return fail(
      tests,
      '"tests" is empty: a policy test file needs at least one case',
      'e.g. - { user: admin, channel: private-admins, expect: allow }'
    )
  }

  return tests.items.map((item) => {
    if (!isMap(item)) return fail(item as Node, 'a test case is a map with "channel" and "expect"')
    const nodes = new Map(item.items.map((pair) => [String((pair.key as any)?.value), pair]))
    for (const [key, pair] of nodes) {
      if (!CASE_KEYS.includes(key)) {
        fail(
          pair.key as Node,
          `unknown key "${key}" in a test case`,
          `allowed keys: ${CASE_KEYS.join(', ')}`
        )
      }
    }
    const scalar = (key: string, required: boolean): string | undefined => {
      const node = nodes.get(key)?.value
      if (node === undefined || node === null) {
        return required ? fail(item, `a test case needs "${key}"`) : undefined
      }
      if (!isScalar(node) || typeof node.value !== 'string') {
        return fail(node as Node, `"${key}" must be a string`)
      }
      return node.value
    }

    const channel = scalar('channel', true)!
    const expect = scalar('expect', true)!
    if (expect !== 'allow' && expect !== 'deny') {
      fail(nodes.get('expect')!.value as Node, '"expect" is "allow" or "deny"')
    }

    let user: PolicyUser = null
    let userPosition: SourcePosition | null = null
    const userNode = nodes.get('user')?.value as Node | null | undefined
    if (isScalar(userNode) && typeof userNode.value === 'string') {
      if (!users.has(userNode.value)) {
        fail(
          userNode,
          `unknown user "${userNode.value}"`,
          `named users: ${[...users.keys()].join(', ') || 'none'} (or write the user inline, or null for a guest)`
        )
      }
      const named = users.get(userNode.value)!
      user = named.user
      userPosition = named.position
    } else if (isMap(userNode)) {
      user = userNode.toJSON()
      userPosition = locator.node(userNode)
    } else if (userNode && !(isScalar(userNode) && userNode.value === null)) {
      fail(userNode, '"user" is a named user, a map of fields, or null for a guest')
    }

    const memberNode = nodes.get('member')?.value as Node | undefined
    if (memberNode && !isMap(memberNode)) fail(memberNode, '"member" is a map with "id" and "info"')
    const patternNode = nodes.get('pattern')?.value as Node | undefined
    const pattern =
      isScalar(patternNode) && patternNode.value === null ? null : scalar('pattern', false)

    const testCase: PolicyTestCase = {
      name:
        scalar('name', false) ??
        `${expect} ${userNode && isScalar(userNode) ? String(userNode.value) : user ? 'inline user' : 'guest'} on ${channel}`,
      position: locator.node(item),
      user,
      userPosition,
      channel,
      expect: expect as 'allow' | 'deny',
    }
    if (pattern !== undefined) testCase.pattern = pattern
    const reason = scalar('reason', false)
    if (reason !== undefined) testCase.reason = reason
    if (memberNode) testCase.member = (memberNode as any).toJSON()
    const socketId = scalar('socketId', false)
    if (socketId !== undefined) testCase.socketId = socketId
    return testCase
  })
}
