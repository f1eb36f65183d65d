/**
 * Who asked to broadcast an event object: the package's dispatch listener,
 * or the app itself ("broadcast.emit", for instance in a listener written
 * by hand before broadcasting on dispatch existed)
 */
export type EmitOrigin = 'dispatch' | 'hand'

/**
 * Keeps a dispatched event from going out twice on one connection when the
 * app also broadcasts it from a listener of its own. Whichever comes first
 * sends it; the other is skipped. Only the meeting of the two paths is
 * deduplicated: the app may still emit one object by hand as often as it
 * wants, and dispatching it again sends it again.
 */
export class SentOnce {
  #sent = new WeakMap<object, Map<string, EmitOrigin>>()

  /**
   * Whether "origin" may send "event" on "connection", recording it when
   * it may. Synchronous, so two concurrent listeners cannot both pass.
   */
  claim(event: object, connection: string, origin: EmitOrigin): boolean {
    let connections = this.#sent.get(event)
    if (!connections) {
      connections = new Map()
      this.#sent.set(event, connections)
    }
    const previous = connections.get(connection)
    if (previous !== undefined && previous !== origin) {
      return false
    }
    connections.set(connection, origin)
    return true
  }
}
