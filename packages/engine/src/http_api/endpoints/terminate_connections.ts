import type { ApiRequest, HttpApiHost } from '../endpoint.ts'

/**
 * POST /apps/:appId/users/:userId/terminate_connections: closes every
 * connection signed in as the user, on every node
 */
export async function terminateConnections(host: HttpApiHost, { params }: ApiRequest) {
  await host.terminateUserConnections(params.userId)
  return {}
}
