import type { ServingNode } from '@adonisjs-broadcasting/engine/events'
import type { LifecycleEvent } from '@adonisjs-broadcasting/engine'
import type { PolicyDecision } from '../policies/types.ts'
import type { EventsHub } from '../events_hub.ts'
import { Ring } from './ring.ts'

/**
 * The reserved private channel the console listens on. Only a policy rule
 * for it admits anyone (unmatched private channels are denied).
 */
export const CONSOLE_CHANNEL = 'private-broadcasting-console'

/**
 * The event carrying each update to the console page
 */
export const CONSOLE_EVENT = 'console.update'

/**
 * Bounds of one update, so a busy app never sends the console more than a
 * few tens of kilobytes a second
 */
const PREVIEW_CHARS = 300
const MAX_ITEMS = 50
const SNAPSHOT_BOUNDS = {
  sockets: 100,
  channels: 100,
  membersPerChannel: 20,
  channelsPerSocket: 10,
}
const TICK_MS = 1000

const preview = (text: string) =>
  text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text

/**
 * Collects what the console shows (events published, lifecycle events,
 * client events, authorization decisions) and sends it, once a second,
 * to the console channel of the embedded server it is attached to. It
 * sends nothing while no console is open. What it is told never throws
 * back at the caller.
 */
export class ConsoleFeed {
  readonly channel: string
  #server?: ServingNode
  #timer?: NodeJS.Timeout
  #events = new Ring<Record<string, unknown>>(MAX_ITEMS)
  #lifecycle = new Ring<Record<string, unknown>>(MAX_ITEMS)
  #clientEvents = new Ring<Record<string, unknown>>(MAX_ITEMS)
  #decisions = new Ring<Record<string, unknown>>(MAX_ITEMS)
  #published = 0
  /**
   * Whether a console listened anywhere in the cluster at the last tick:
   * every node sends it its own update, so it shows them all
   */
  #watchedInCluster = false
  #looking = false

  constructor(channel = CONSOLE_CHANNEL) {
    this.channel = channel
  }

  /**
   * Shows what "events" tells, and sends through the first node started
   * on it; returns what stops it
   */
  listen(events: EventsHub) {
    const stops = [
      events.on('started', (node) => this.attach(node)),
      events.on('published', (channels, event, data) => this.published(channels, event, data)),
      events.on('lifecycle', (event) => this.lifecycle(event)),
      events.on('decision', (channel, decision, context) =>
        this.decision(channel, decision, context.user?.id)
      ),
    ]
    return () => stops.forEach((stop) => stop())
  }

  /**
   * Starts sending updates through "server"
   */
  attach(server: ServingNode) {
    // The first local connection made (the default one, in practice)
    if (this.#server) return
    this.#server = server
    clearInterval(this.#timer)
    this.#timer = setInterval(() => this.tick(), TICK_MS).unref()
  }

  /**
   * Whether a console listens, on this node or another: otherwise nothing
   * is kept
   */
  get #watched() {
    if (!this.#server) return false
    return this.#watchedInCluster || this.#server.subscribers(this.channel) > 0
  }

  published(channels: string[], event: string, data: string) {
    if (!this.#watched) return
    if (channels.length === 1 && channels[0] === this.channel) return
    this.#published++
    this.#events.push({
      at: Date.now(),
      channels: channels.slice(0, 10),
      event,
      data: preview(data),
    })
  }

  lifecycle(event: LifecycleEvent) {
    if (!this.#watched || event.channel === this.channel) return
    if (event.name === 'client_event') {
      this.#clientEvents.push({
        at: Date.now(),
        channel: event.channel,
        event: event.event,
        data: preview(event.data),
        user: event.user_id ?? null,
      })
    } else {
      this.#lifecycle.push({ at: Date.now(), ...event })
    }
  }

  decision(channel: string, decision: PolicyDecision, userId?: unknown) {
    this.#decisions.push({
      at: Date.now(),
      channel: preview(channel),
      allowed: decision.allowed,
      pattern: decision.pattern,
      reason: preview(decision.reason),
      user: userId === undefined || userId === null ? null : preview(String(userId)),
    })
  }

  /**
   * Sends this node's update when a console listens anywhere in the
   * cluster (the channel state counts its subscriptions on every node)
   */
  tick() {
    const server = this.#server
    try {
      const published = this.#published
      this.#published = 0
      if (server?.serving) this.#lookForConsoles(server)
      if (!server?.serving || !this.#watched) {
        this.#drainAll()
        return
      }
      const update = {
        at: Date.now(),
        node: server.nodeId ?? null,
        perSecond: (published * 1000) / TICK_MS,
        ...server.snapshot(SNAPSHOT_BOUNDS),
        events: this.#events.drain(),
        lifecycle: this.#lifecycle.drain(),
        clientEvents: this.#clientEvents.drain(),
        decisions: this.#decisions.drain(),
      }
      server.publish([this.channel], CONSOLE_EVENT, JSON.stringify(update)).catch(() => {})
    } catch {
      // The console is a window on the server, never a reason for it to fail
    }
  }

  close() {
    clearInterval(this.#timer)
    this.#timer = undefined
    this.#server = undefined
  }

  /**
   * Asks the cluster whether a console listens, for the next tick: a
   * failing state (Redis away) counts as none
   */
  #lookForConsoles(server: ServingNode) {
    // One question at a time: a stalled Redis must not pile them up
    if (this.#looking) return
    this.#looking = true
    Promise.resolve()
      .then(() => server.state.channel(this.channel))
      .then(
        (stats) => (this.#watchedInCluster = stats.subscriptionCount > 0),
        () => (this.#watchedInCluster = false)
      )
      .finally(() => (this.#looking = false))
  }

  #drainAll() {
    this.#events.drain()
    this.#lifecycle.drain()
    this.#clientEvents.drain()
    this.#decisions.drain()
  }
}
