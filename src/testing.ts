/**
 * Helpers for the tests of apps that use the package
 */
export { BroadcastFake, type EmittedMessage } from './broadcast_fake.ts'
export { checkPolicy } from './policies/check.ts'

/**
 * Attach the embedded server in a test bootstrap, after
 * "testUtils.httpServer().start()" created the Node server
 */
export { attachBroadcastServer } from './server/attach.ts'
