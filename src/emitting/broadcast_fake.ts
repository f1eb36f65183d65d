import { AssertionError } from 'node:assert'
import type { Broadcastable } from './broadcast_event.ts'
import type { BroadcastMessage } from '../drivers/types.ts'
import { isModelSource, type ModelAction } from './model_source.ts'

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

/**
 * A wire name, an event class, or a Lucid model class with the mixin
 * (matching that model's events)
 */
type EventMatcher = string | (abstract new (...args: any[]) => object)
type ModelClass = abstract new (...args: any[]) => object
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
   * Messages of an event class, a wire name, or a model class (and one of
   * its actions), optionally filtered
   */
  emitted(event: EventMatcher, predicate?: Predicate): EmittedMessage[]
  emitted(model: ModelClass, action: ModelAction, predicate?: Predicate): EmittedMessage[]
  emitted(event: EventMatcher, ...rest: Rest): EmittedMessage[] {
    const { action, predicate } = split(rest)
    return this.#find(event, action, predicate)
  }

  /**
   * @example
   * fake.assertEmitted(NewRelease)
   * fake.assertEmitted(Release, 'created')
   */
  assertEmitted(event: EventMatcher, predicate?: Predicate): void
  assertEmitted(model: ModelClass, action: ModelAction, predicate?: Predicate): void
  assertEmitted(event: EventMatcher, ...rest: Rest) {
    const { action, predicate } = split(rest)
    if (this.#find(event, action, predicate).length === 0) {
      throw new AssertionError({
        message: `Expected ${label(event, action)} to be broadcast${predicate ? ' matching the predicate' : ''}. Broadcast: ${this.#summary()}`,
      })
    }
  }

  assertEmittedOn(channel: string, event: EventMatcher) {
    const found = this.emitted(event).some((message) => message.channels.includes(channel))
    if (!found) {
      throw new AssertionError({
        message: `Expected ${label(event)} to be broadcast on "${channel}". Broadcast: ${this.#summary()}`,
      })
    }
  }

  assertNotEmitted(event: EventMatcher, predicate?: Predicate): void
  assertNotEmitted(model: ModelClass, action: ModelAction, predicate?: Predicate): void
  assertNotEmitted(event: EventMatcher, ...rest: Rest) {
    const { action, predicate } = split(rest)
    if (this.#find(event, action, predicate).length > 0) {
      throw new AssertionError({
        message: `Expected ${label(event, action)} not to be broadcast. Broadcast: ${this.#summary()}`,
      })
    }
  }

  assertNothingEmitted() {
    if (this.messages.length > 0) {
      throw new AssertionError({
        message: `Expected nothing to be broadcast. Broadcast: ${this.#summary()}`,
      })
    }
  }

  #find(event: EventMatcher, action?: ModelAction, predicate?: Predicate) {
    return this.messages.filter(
      (message) => matches(message, event, action) && (!predicate || predicate(message))
    )
  }

  #summary() {
    if (this.messages.length === 0) return 'nothing'
    return this.messages
      .map((m) => `"${m.event}"${modelOf(m)} on ${m.channels.join(', ')}`)
      .join('; ')
  }
}

type Rest = [Predicate?] | [ModelAction, Predicate?]

function split(rest: Rest): { action?: ModelAction; predicate?: Predicate } {
  return typeof rest[0] === 'string'
    ? { action: rest[0], predicate: rest[1] }
    : { predicate: rest[0] }
}

/**
 * An event class matches its instances; a model class, the events the
 * mixin broadcast for its instances (of "action", when given)
 */
function matches(message: EmittedMessage, event: EventMatcher, action?: ModelAction) {
  if (typeof event === 'string') return message.event === event
  const source = message.source
  if (isModelSource(source)) {
    const sameModel = source instanceof event || source.model instanceof event
    return sameModel && (action === undefined || source.action === action)
  }
  return action === undefined && source instanceof event
}

function label(event: EventMatcher, action?: ModelAction) {
  const name = `"${typeof event === 'string' ? event : event.name}"`
  return action ? `${name} ${action}` : name
}

/**
 * " (Release created)" for a model's event, so a failure names the model
 */
function modelOf(message: EmittedMessage) {
  const source = message.source
  return isModelSource(source) ? ` (${source.model.constructor.name} ${source.action})` : ''
}

function parse(data: string): unknown {
  try {
    return JSON.parse(data)
  } catch {
    return data
  }
}
