/**
 * A request of a client of the embedded server refused: an HTTP API call or
 * a subscription, with the status and the reason the client is answered.
 *
 * Thrown only to unwind to the one place that answers it, never to the app,
 * so it is a plain value and not an Error: no stack is captured for each
 * refused outsider, and no catch-all or error reporter mistakes it for a
 * failure of the app.
 */
export class Refusal {
  constructor(
    readonly status: number,
    readonly message: string,
    readonly headers: Record<string, string> = {}
  ) {}
}
