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
