/**
 * The app's own code as type-checked: config/broadcast.ts, and a file
 * importing every subpath's declarations. A type the package's
 * declarations import from a package it does not bring becomes "any"
 * (apps skip checking libraries), which the "@ts-expect-error" catches.
 */
export const TYPES_CHECK = `import type * as engine from '@adonisjs-broadcasting/engine'
import type * as rules from '@adonisjs-broadcasting/engine/rules'
import type * as webhooks from '@adonisjs-broadcasting/engine/webhooks'
import type * as main from 'adonisjs-broadcasting'
import type * as provider from 'adonisjs-broadcasting/broadcast_provider'
import type broadcast from 'adonisjs-broadcasting/services/main'
import type * as commands from 'adonisjs-broadcasting/commands'
import type * as types from 'adonisjs-broadcasting/types'
import type * as testing from 'adonisjs-broadcasting/testing'
import type * as lucid from 'adonisjs-broadcasting/mixins/lucid'

export type Subpaths = [
  typeof engine, typeof rules, typeof webhooks, typeof main, typeof provider,
  typeof broadcast, typeof commands, typeof types, typeof testing, typeof lucid,
]

export function socketOf(server: engine.EmbeddedServer): number {
  const [socket] = server.sockets
  // @ts-expect-error a WebSocket of "ws" is not a number
  return socket.ws
}
`
