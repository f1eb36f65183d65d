/**
 * Pusher's rules for channel names, socket ids and event names, and the
 * names of the lifecycle events: what an app checks before it reaches a
 * server. A leaf: importing it loads no server, socket or Redis code (an
 * app that only talks to Pusher Channels imports this, never the entry).
 */
export {
  MAX_CHANNEL_NAME_LENGTH,
  channelNameProblem,
  channelType,
  type ChannelType,
  CHANNEL_TYPES,
} from './src/channel_name.ts'
export { SOCKET_ID_PATTERN, MAX_EVENT_NAME_LENGTH } from './src/protocol.ts'
export { LIFECYCLE_EVENT_NAMES } from './src/lifecycle/lifecycle_events.ts'
