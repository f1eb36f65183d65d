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
 * Runs "send" once the transaction commits, never when it rolls back.
 * Lucid swallows what an after-commit hook throws, and nobody awaits the
 * send any more: a failure is always handed to "report".
 */
export function afterCommit(
  transaction: TransactionLike,
  send: () => Promise<void>,
  report: (error: unknown) => void
) {
  transaction.after('commit', () => send().catch(report))
}
