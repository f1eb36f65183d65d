/**
 * Method + path -> handler. A path is a template such as
 * "/apps/:appId/channels/:channel": literal segments match exactly, a
 * ":name" segment matches any non-empty segment (never a "/").
 */
export class Router<Handler> {
  #routes: Route<Handler>[] = []

  add(method: string, path: string, endpoint: string, handler: Handler) {
    this.#routes.push({ method, segments: path.split('/'), endpoint, handler })
    return this
  }

  /**
   * The route of a path (without its query) and method, or undefined for
   * an unknown path. Never throws.
   */
  match(method: string, path: string): RouteMatch<Handler> | undefined {
    const segments = path.split('/')
    let found: RouteMatch<Handler> | undefined
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, segments)
      if (!params) continue
      if (route.method === method)
        return { endpoint: route.endpoint, params, handler: route.handler }
      found ??= { endpoint: route.endpoint, params }
    }
    return found
  }
}

/**
 * A route found for a request path
 */
export interface RouteMatch<Handler> {
  /**
   * The endpoint's name, a fixed label whatever the method (for metrics)
   */
  endpoint: string
  /**
   * The ":name" segments as sent, not yet decoded: decoding may refuse
   * the request, which must wait until it is known to be signed
   */
  params: Record<string, string>
  /**
   * Undefined when the path is known but not with this method (405)
   */
  handler?: Handler
}

interface Route<Handler> {
  method: string
  segments: string[]
  endpoint: string
  handler: Handler
}

/**
 * A template's ":name" segments in a path, or undefined when it does not fit
 */
function matchSegments(template: string[], segments: string[]) {
  if (template.length !== segments.length) return undefined
  const params: Record<string, string> = {}
  for (const [index, expected] of template.entries()) {
    const segment = segments[index]
    if (expected.startsWith(':')) {
      if (segment === '') return undefined
      params[expected.slice(1)] = segment
    } else if (segment !== expected) {
      return undefined
    }
  }
  return params
}
