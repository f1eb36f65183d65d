import type { ServerLimits } from '../limits.ts'
import type { ChannelState } from '../state/channel_state.ts'
import type { Query } from './request_url.ts'
import type { WriteBatch } from '../connection/write_batch.ts'

/**
 * What the HTTP API needs from the server
 */
export interface HttpApiHost {
  appId: string
  key: string
  secret: string
  limits: ServerLimits
  /**
   * The cluster's state: answers cover every node
   */
  readonly state: ChannelState
  /**
   * Resolves once the node has joined its cluster (state and bus ready)
   */
  ready(): Promise<unknown>
  /**
   * Delivers here at once; rejects when the other nodes could not be told
   */
  publish(channels: string[], event: string, data: string, exceptSocketId?: string): Promise<void>
  /**
   * This node's socket writes: a publish is answered once they are written
   */
  readonly writes: Pick<WriteBatch, 'written'>
  terminateUserConnections(userId: string): Promise<void>
}

/**
 * A signed request, as an endpoint sees it
 */
export interface ApiRequest {
  query: Query
  /**
   * The path's ":name" segments, percent-decoded
   */
  params: Record<string, string>
  /**
   * The raw body, its body_md5 checked; empty when none was sent
   */
  body: Buffer
}

/**
 * One endpoint of the API: the JSON answer, or a Refusal thrown
 */
export type Endpoint = (host: HttpApiHost, request: ApiRequest) => Promise<unknown>
