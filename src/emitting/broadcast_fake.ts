import { AssertionError } from 'node:assert'
import type { Broadcastable } from './broadcast_event.ts'
import type { BroadcastMessage } from '../drivers/types.ts'

/**
 * One message recorded by the fake
 */
export interface EmittedMessage {
  connection: string
  event: string
  channels: string[]
  data: unknown
  socketId?: string
  /**
   * The event object, when the message came from "emit"
   */
  source?: Broadcastable
}

type EventMatcher = string | (abstract new (...args: any[]) => Broadcastable)
type Predicate = (message: EmittedMessage) => boolean

/**
 * Records what the app broadcasts instead of sending it, for the app's own
 * tests. Messages still go through naming, channel and size validation.
 *
 * @example
 * const fake = broadcast.fake()
 * await client.post('/releases')
 * fake.assertEmitted(NewRelease, ({ data }) => data.version === '2.0')
 * broadcast.restore()
 */
export class BroadcastFake {
  readonly messages: EmittedMessage[] = []

  record(connection: string, message: BroadcastMessage, source?: Broadcastable) {
    this.messages.push({
      connection,
      event: message.event,
      channels: message.channels,
      data: parse(message.data),
      socketId: message.socketId,
      source,
    })
  }

  /**
   * Messages of an event class or wire name, optionally filtered
   */
  emitted(event: EventMatcher, predicate?: Predicate): EmittedMessage[] {
    return this.messages.filter(
      (message) => matches(message, event) && (!predicate || predicate(message))
    )
  }

  assertEmitted(event: EventMatcher, predicate?: Predicate) {
    if (this.emitted(event, predicate).length === 0) {
      throw new AssertionError({
        message: `Expected "${label(event)}" to be broadcast${predicate ? ' matching the predicate' : ''}. Broadcast: ${this.#summary()}`,
      })
    }
  }

  assertEmittedOn(channel: string, event: EventMatcher) {
    const found = this.emitted(event).some((message) => message.channels.includes(channel))
    if (!found) {
      throw new AssertionError({
        message: `Expected "${label(event)}" to be broadcast on "${channel}". Broadcast: ${this.#summary()}`,
      })
    }
  }

  assertNotEmitted(event: EventMatcher, predicate?: Predicate) {
    if (this.emitted(event, predicate).length > 0) {
      throw new AssertionError({ message: `Expected "${label(event)}" not to be broadcast` })
    }
  }

  assertNothingEmitted() {
    if (this.messages.length > 0) {
      throw new AssertionError({
        message: `Expected nothing to be broadcast. Broadcast: ${this.#summary()}`,
      })
    }
  }

  #summary() {
    if (this.messages.length === 0) return 'nothing'
    return this.messages.map((m) => `"${m.event}" on ${m.channels.join(', ')}`).join('; ')
  }
}

function matches(message: EmittedMessage, event: EventMatcher) {
  return typeof event === 'string' ? message.event === event : message.source instanceof event
}

function label(event: EventMatcher) {
  return typeof event === 'string' ? event : event.name
}

function parse(data: string): unknown {
  try {
    return JSON.parse(data)
  } catch {
    return data
  }
}
