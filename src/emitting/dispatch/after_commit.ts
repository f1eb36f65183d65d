import type { Broadcastable } from '../broadcast_event.ts'
import { isTransaction, type TransactionLike } from '../transaction.ts'

/**
 * The knex transaction under a Lucid one ("trx.knexClient"). Lucid keeps
 * no link from a nested transaction (a savepoint) to its parent; knex
 * does, and the parent's "commit" is what Lucid calls to commit it.
 */
interface KnexTransaction {
  parentTransaction?: KnexTransaction
  commit(...args: unknown[]): Promise<unknown>
}

/**
 * Whether an event asks to wait for the transaction it was emitted in
 * (Laravel's ShouldDispatchAfterCommit), searched for or named
 */
export function wantsAfterCommit(event: Broadcastable): boolean {
  return (
    typeof event.broadcastTransaction === 'function' ||
    (typeof event.broadcastAfterCommit === 'function' && event.broadcastAfterCommit() === true)
  )
}

/**
 * The open transaction an after-commit event waits for. Named by its
 * "broadcastTransaction()" (null or undefined: none, send now), or found
 * in its own fields: a transaction itself, or a Lucid model saved through
 * one ("$trx", which Lucid clears on commit and rollback). Lucid keeps no
 * "current transaction", and only direct fields are searched (an object
 * graph may be large or cyclic): "missing" says nothing was found, so a
 * rollback would not stop the event.
 */
export function transactionOf(event: Broadcastable): {
  transaction?: TransactionLike
  missing?: true
} {
  if (typeof event.broadcastTransaction === 'function') {
    const named = event.broadcastTransaction()
    if (named === null || named === undefined) return {}
    if (!isTransaction(named)) return { missing: true }
    return named.isCompleted ? {} : { transaction: named }
  }
  let completed = false
  for (const value of Object.values(event)) {
    const candidate = isTransaction(value) ? value : (value as { $trx?: unknown } | null)?.$trx
    if (!isTransaction(candidate)) continue
    if (!candidate.isCompleted) return { transaction: candidate }
    completed = true
  }
  return completed ? {} : { missing: true }
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

/**
 * Says that an after-commit event named no open transaction, so it was
 * sent at once. Once per event class: the class is what to fix, and an
 * event legitimately dispatched outside any transaction would otherwise
 * log on every send.
 */
export function warnMissingTransaction(
  logger: { warn(details: object, message: string): void },
  event: Broadcastable,
  warned: WeakSet<Function>
) {
  if (warned.has(event.constructor)) return
  warned.add(event.constructor)
  const name = event.constructor.name
  logger.warn(
    { event: name },
    `broadcast: "${name}" asks to be sent after commit, but none of its own fields holds an open Lucid transaction or a model saved through one: sent now, and a rollback cannot stop it. Name the transaction with broadcastTransaction() (return null when there is none), or emit it with broadcast.afterCommit(trx). Logged once per event class`
  )
}
