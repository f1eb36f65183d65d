/**
 * Helpers for the tests of apps that use the package
 */
export { BroadcastFake, type EmittedMessage } from '../emitting/broadcast_fake.ts'
export { checkPolicy } from '../policies/check.ts'

/**
 * Policy test files (policies/*.test.yaml) in the app's own test suite
 */
export { registerPolicyTests } from './policies/japa.ts'
export { loadPolicyTests } from './policies/load_tests.ts'
export { runPolicyTests } from './policies/run_tests.ts'

/**
 * Attach the embedded server in a test bootstrap, after
 * "testUtils.httpServer().start()" created the Node server
 */
export { attachBroadcastServer } from '../drivers/attach.ts'
