/**
 * Helpers for the tests of apps that use the package
 */
export { BroadcastFake, type EmittedMessage } from './broadcast_fake.ts'
export { checkPolicy } from './policies/check.ts'
