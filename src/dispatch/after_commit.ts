import type { Broadcastable } from '../types.ts'

/**
 * What broadcasting needs of a Lucid transaction ("TransactionClient"):
 * typed here so apps without Lucid still compile
 */
export interface TransactionLike {
  isTransaction: boolean
  isCompleted: boolean
  after(event: 'commit' | 'rollback', handler: () => void | Promise<void>): unknown
}

/**
 * The knex transaction under a Lucid one ("trx.knexClient"). Lucid keeps
 * no link from a nested transaction (a savepoint) to its parent; knex
 * does, and the parent's "commit" is what Lucid calls to commit it.
 */
interface KnexTransaction {
  parentTransaction?: KnexTransaction
  commit(...args: unknown[]): Promise<unknown>
}

export function isTransaction(value: unknown): value is TransactionLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as TransactionLike).isTransaction === true &&
    typeof (value as TransactionLike).after === 'function'
  )
}

/**
 * Whether an event asks to wait for the transaction it was emitted in
 * (Laravel's ShouldDispatchAfterCommit)
 */
export function wantsAfterCommit(event: Broadcastable): boolean {
  return typeof event.broadcastAfterCommit === 'function' && event.broadcastAfterCommit() === true
}

/**
 * The open transaction an event was emitted in, found in its own fields:
 * a transaction itself, or a Lucid model saved through one ("$trx", which
 * Lucid clears on commit and rollback). Lucid keeps no "current
 * transaction", so an event that holds neither is sent at once.
 */
export function transactionOf(event: object): TransactionLike | undefined {
  for (const value of Object.values(event)) {
    const candidate = isTransaction(value) ? value : (value as { $trx?: unknown } | null)?.$trx
    if (isTransaction(candidate) && !candidate.isCompleted) return candidate
  }
  return undefined
}

/**
 * Test helpers' global transactions ("testUtils.db().withGlobalTransaction()")
 * wrap a whole test and always roll back: a transaction inside one counts
 * as outermost, or nothing would ever be sent in such a test (Laravel does
 * the same for RefreshDatabase). Set by the provider when Lucid is there.
 */
let globalTransactions: () => Promise<Iterable<unknown>> = async () => []

export function useGlobalTransactions(list: () => Promise<Iterable<unknown>>) {
  globalTransactions = list
}

async function isGlobal(knex: KnexTransaction): Promise<boolean> {
  for (const transaction of await globalTransactions()) {
    if ((transaction as { knexClient?: unknown }).knexClient === knex) return true
  }
  return false
}

function parentOf(transaction: TransactionLike): KnexTransaction | undefined {
  const parent = (transaction as { knexClient?: Partial<KnexTransaction> }).knexClient
    ?.parentTransaction
  return typeof parent?.commit === 'function' ? parent : undefined
}

/**
 * Callbacks waiting for a knex transaction's commit. Its "commit" is
 * wrapped once, on that one object: a rollback never calls it, so the
 * callbacks are dropped with the transaction.
 */
const waiting = new WeakMap<KnexTransaction, Array<() => Promise<void>>>()

/**
 * "callback" must not throw: it runs inside the app's commit
 */
function onKnexCommit(knex: KnexTransaction, callback: () => Promise<void>) {
  const callbacks = waiting.get(knex)
  if (callbacks) {
    callbacks.push(callback)
    return
  }
  const queued = [callback]
  waiting.set(knex, queued)
  const commit = knex.commit
  knex.commit = async function (this: KnexTransaction, ...args: unknown[]) {
    const result = await commit.apply(this, args)
    waiting.delete(knex)
    for (const queuedCallback of queued) await queuedCallback()
    return result
  }
}

/**
 * Runs "send" when the outermost transaction commits: a savepoint's commit
 * (its release) hands it to the parent, and so on up
 */
async function whenOutermostCommits(
  knex: KnexTransaction | undefined,
  send: () => Promise<void>,
  report: (error: unknown) => void
): Promise<void> {
  try {
    if (!knex || (await isGlobal(knex))) return await send()
    onKnexCommit(knex, () => whenOutermostCommits(knex.parentTransaction, send, report))
  } catch (error) {
    report(error)
  }
}

/**
 * Runs "send" once the transaction commits, never when it (or a
 * transaction around it) rolls back. Lucid swallows what an after-commit
 * hook throws, and nobody awaits the send any more: a failure is always
 * handed to "report".
 */
export function afterCommit(
  transaction: TransactionLike,
  send: () => Promise<void>,
  report: (error: unknown) => void
) {
  transaction.after('commit', () => whenOutermostCommits(parentOf(transaction), send, report))
}
