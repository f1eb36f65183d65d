import { randomUUID } from 'node:crypto'
import { test } from '@japa/runner'
import fc from 'fast-check'
import { Redis } from 'ioredis'
import type { EmbeddedServerOptions } from '../../../packages/engine/src/embedded_server.ts'
import { createRedisAdapter } from '../../../packages/engine/src/cluster/redis_adapter.ts'
import { TestCluster } from '../../helpers/test_cluster.ts'
import { sleep, type RawClient } from '../../helpers/server_clients.ts'
import { startRedisServer, type RedisTestServer } from '../../helpers/redis_server.ts'

const CHANNEL = 'presence-room'
const NODES = 3

/**
 * Six client slots: two users, each with a slot on every node
 */
const SLOTS = Array.from({ length: 6 }, (_, i) => ({ user: `u${(i % 2) + 1}`, node: i % NODES }))

const command = fc.record({
  kind: fc.constantFrom('join', 'leave', 'disconnect'),
  slot: fc.integer({ min: 0, max: SLOTS.length - 1 }),
})

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 2000) {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

/**
 * An observer's member events since "from", as "+id" and "-id"
 */
function memberEvents(client: RawClient, from: number) {
  return client.frames
    .slice(from)
    .filter((f) => f.channel === CHANNEL && f.event.startsWith('pusher_internal:member_'))
    .map((f) => `${f.event.endsWith('added') ? '+' : '-'}${f.data.user_id}`)
}

/**
 * Where a client's member list (subscription_succeeded) is
 */
function listedAt(client: RawClient) {
  return client.frames.findIndex(
    (f) => f.channel === CHANNEL && f.event === 'pusher_internal:subscription_succeeded'
  )
}

/**
 * The property, for nodes sharing what "options" gives them
 */
function presenceProperty(
  name: string,
  options: () => Partial<EmbeddedServerOptions>,
  setup?: () => Promise<() => Promise<void>>
) {
  test.group(`Embedded server | presence across nodes, a property (${name})`, (group) => {
    if (setup) group.setup(setup)
    test('random joins, leaves and disconnects on three nodes match the model on every node', async ({
      assert,
    }) => {
      await fc.assert(
        fc.asyncProperty(fc.array(command, { maxLength: 14 }), async (commands) => {
          // Leaves reported at once: the model has no leave delay (held
          // removals are covered by pusher_js.spec and the state contract)
          const cluster = await TestCluster.start(NODES, { leaveEventDelay: 0, ...options() })
          try {
            const { nodes } = cluster
            // One observer per node, a member itself, joined before the run
            const observers: RawClient[] = []
            for (const [i, node] of nodes.entries()) {
              const observer = await cluster.raw(node)
              await cluster.subscribe(observer, node, CHANNEL, { user_id: `obs${i}` })
              observers.push(observer)
              // The earlier observers heard of it before the next one joins.
              // An observer may also hear of one that joined just before
              // it (the bus can be slower than its join): its list has it
              // already, so only what follows the list counts.
              await until(
                () => observers.every((o, j) => memberEvents(o, listedAt(o)).length === i - j),
                'observers joining'
              )
            }
            const marks = observers.map((o) => o.frames.length)

            // The model: which slots hold each user, and the member events every node expects
            const holders = new Map<string, Set<number>>()
            const expected: string[] = []
            const members = () =>
              [
                ...observers.map((_, i) => `obs${i}`),
                ...[...holders].filter(([, slots]) => slots.size > 0).map(([user]) => user),
              ].sort()
            const clients: Array<{ client?: RawClient; joined: boolean }> = SLOTS.map(() => ({
              joined: false,
            }))
            // The cluster's count of subscriptions matches the model's
            const settled = async () =>
              (await nodes[0].server.state.channel(CHANNEL)).subscriptionCount ===
              observers.length + clients.filter((entry) => entry.joined).length

            const leaveModel = (slot: number) => {
              const { user } = SLOTS[slot]
              holders.get(user)!.delete(slot)
              if (holders.get(user)!.size === 0) expected.push(`-${user}`)
            }

            for (const { kind, slot } of commands) {
              const { user, node: nodeIndex } = SLOTS[slot]
              const node = nodes[nodeIndex]
              const entry = clients[slot]
              if (kind === 'join') {
                if (entry.joined) continue
                entry.client ??= await cluster.raw(node)
                const succeeded = await cluster.subscribe(entry.client, node, CHANNEL, {
                  user_id: user,
                })
                entry.joined = true
                const slots = holders.get(user) ?? new Set()
                holders.set(user, slots)
                if (slots.size === 0) expected.push(`+${user}`)
                slots.add(slot)
                // Every node's subscription_succeeded lists the cluster's members
                assert.deepEqual([...succeeded.data.presence.ids].sort(), members())
              } else if (kind === 'leave') {
                if (!entry.joined) continue
                entry.client!.send({ event: 'pusher:unsubscribe', data: { channel: CHANNEL } })
                entry.joined = false
                leaveModel(slot)
                await until(settled, 'the leave')
              } else {
                if (!entry.client) continue
                const client = entry.client
                client.ws.terminate()
                if (entry.joined) leaveModel(slot)
                entry.client = undefined
                entry.joined = false
                await until(
                  async () =>
                    ![...node.server.sockets].some((s) => s.id === client.socketId) &&
                    (await settled()),
                  'the disconnect'
                )
              }
              await until(
                () =>
                  observers.every((o, i) => memberEvents(o, marks[i]).length >= expected.length),
                `member events ${expected.join(' ')}`
              )
            }

            await sleep(30)
            for (const [i, observer] of observers.entries()) {
              assert.deepEqual(memberEvents(observer, marks[i]), expected, `observer on node ${i}`)
            }
            assert.deepEqual(
              [...(await nodes[0].server.state.members(CHANNEL)).keys()].sort(),
              members()
            )
          } finally {
            await cluster.close()
          }
        }),
        { numRuns: 40 }
      )
    }).timeout(120_000)
  })
}

presenceProperty('in memory', () => ({}))

let server: RedisTestServer
let connection: Redis
presenceProperty(
  'Redis',
  () => {
    const prefix = `test-${randomUUID()}:`
    return { cluster: (nodeId) => createRedisAdapter(connection, { nodeId, prefix }) }
  },
  async () => {
    server = await startRedisServer()
    connection = new Redis(server.url, { lazyConnect: true })
    return async () => {
      connection.disconnect()
      await server.stop()
    }
  }
)
