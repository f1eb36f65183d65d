/**
 * The events hub a server tells what happens on, to make one before any
 * server exists (an app wires its listeners at boot). Importing it loads
 * no server, socket or Redis code.
 */
export {
  EventHub,
  ServerEvents,
  type ServerEventMap,
  type ClientEventOutcome,
} from './src/server_events.ts'
export type { ServingNode, ServerStats, ServerSnapshot, SnapshotBounds } from './src/server_view.ts'
