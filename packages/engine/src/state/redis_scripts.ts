import type { RedisClient } from './redis_client.ts'
import type { MembershipKeys } from './redis_keys.ts'

/**
 * The Lua scripts of the Redis channel state. Each runs atomically, so the
 * decisions "first subscription anywhere", "first socket of this user
 * anywhere" and "the channel is full" cannot race between nodes. Every key
 * a script touches is declared and carries the channel's hash tag, so a
 * script runs on one Redis Cluster slot.
 *
 * Keys of one channel ("<prefix>{b<bucket>}:<channel>:...", see RedisKeys):
 *   sockets  hash "nodeId:socketId" -> "p<userId>" (presence), "c<userId>"
 *            (a socket counted under the user it signed in as) or "-"
 *   members  hash userId -> user_info JSON; a member whose removal is
 *            pending (left within the leave-event delay) stays listed,
 *            so nobody sees a page reload as a leave and a return
 *   users    hash userId -> how many sockets hold the user (presence) or
 *            count under it: the limit of sockets per user per channel is
 *            checked against it, and every leave (a reaper's too) gives
 *            the socket back
 *   left     hash of leaves within their leave-event delay: "~" (the
 *            vacancy) or "u<userId>" (a removal) -> the leave's token
 * and two indexes of the channel's bucket, on its slot, that a join and a
 * leave keep in the same step, so no subscription ever exists without its
 * index entry (a leave overtaking a join between two round trips used to
 * leave one that nothing removed):
 *   memberships  set of "channel\nsocketId" of the socket's node
 *   channels     set of occupied channel names
 *
 * Keys of one client address ("<prefix>{ip:<address>}:connections"): a
 * hash node id -> the node's open sockets from the address, for the limit
 * of connections per address on every node together. Each node keeps the
 * set of addresses it holds sockets from ("node:{nodeId}:addresses"), so
 * a survivor reaping it, or its own clean shutdown, clears its fields.
 */

/**
 * KEYS: sockets, members, users, left, memberships, channels
 * ARGV: socket key, "1" for a presence join, user id, user_info JSON,
 *       member limit (0: none), membership entry, channel name, the user
 *       the socket counts under ("": none; the member's id on presence),
 *       sockets per user limit (0: none)
 * Returns { occupied, memberAdded, full, vacancyCancelled,
 * removalCancelled, tooManySockets, written } as 0/1 (written: the
 * membership is new)
 */
export const JOIN_SCRIPT = `
-- The same socket again (a node re-applying its memberships): no change
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  redis.call('SADD', KEYS[5], ARGV[6])
  redis.call('SADD', KEYS[6], ARGV[7])
  return {0, 0, 0, 0, 0, 0, 0}
end
-- The owner's sockets in the channel on every node: at the limit, refused
local maxSockets = tonumber(ARGV[9])
if maxSockets > 0 and ARGV[8] ~= '' then
  local held = tonumber(redis.call('HGET', KEYS[3], ARGV[8]) or '0')
  if held >= maxSockets then return {0, 0, 0, 0, 0, 1, 0} end
end
local occupied = 0
if redis.call('HLEN', KEYS[1]) == 0 then occupied = 1 end
if ARGV[2] == '1' and redis.call('HEXISTS', KEYS[2], ARGV[3]) == 0 then
  local limit = tonumber(ARGV[5])
  if limit > 0 and redis.call('HLEN', KEYS[2]) >= limit then
    return {0, 0, 1, 0, 0, 0, 0}
  end
end
-- A vacancy still within its delay is taken back
local reoccupied = 0
if occupied == 1 then reoccupied = redis.call('HDEL', KEYS[4], '~') end
redis.call('SADD', KEYS[5], ARGV[6])
redis.call('SADD', KEYS[6], ARGV[7])
if ARGV[2] ~= '1' then
  if ARGV[8] == '' then
    redis.call('HSET', KEYS[1], ARGV[1], '-')
  else
    redis.call('HINCRBY', KEYS[3], ARGV[8], 1)
    redis.call('HSET', KEYS[1], ARGV[1], 'c' .. ARGV[8])
  end
  return {occupied, 0, 0, reoccupied, 0, 0, 1}
end
local added = 0
local returned = 0
-- The user's first socket anywhere: a new member
if redis.call('HEXISTS', KEYS[3], ARGV[3]) == 0 then
  redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
  added = 1
  returned = redis.call('HDEL', KEYS[4], 'u' .. ARGV[3])
end
redis.call('HINCRBY', KEYS[3], ARGV[3], 1)
redis.call('HSET', KEYS[1], ARGV[1], 'p' .. ARGV[3])
return {occupied, added, 0, reoccupied, returned, 0, 1}
`

/**
 * KEYS: sockets, members, users, left, memberships, channels
 * ARGV: socket key, leave token, leave-event delay in ms (0: none),
 *       membership entry, channel name
 * Returns { removed, vacated, memberRemoved, userId, pending }: the user
 * id is the one stored at join, so a reaper needs to know nothing but the
 * socket
 */
export const LEAVE_SCRIPT = `
redis.call('SREM', KEYS[5], ARGV[4])
local holder = redis.call('HGET', KEYS[1], ARGV[1])
if not holder then
  return {0, 0, 0, ''}
end
redis.call('HDEL', KEYS[1], ARGV[1])
local removed = 0
local userId = ''
local kind = string.sub(holder, 1, 1)
if kind == 'p' then
  userId = string.sub(holder, 2)
  -- The user's last socket anywhere: the member goes
  if redis.call('HINCRBY', KEYS[3], userId, -1) <= 0 then
    redis.call('HDEL', KEYS[3], userId)
    removed = 1
  end
elseif kind == 'c' then
  -- The socket no longer counts under the user it signed in as
  local owner = string.sub(holder, 2)
  if redis.call('HINCRBY', KEYS[3], owner, -1) <= 0 then redis.call('HDEL', KEYS[3], owner) end
end
local delay = tonumber(ARGV[3])
-- Without a delay the member goes now; with one, when the removal is confirmed
if removed == 1 and delay <= 0 then redis.call('HDEL', KEYS[2], userId) end
local vacated = 0
if redis.call('EXISTS', KEYS[1]) == 0 then
  vacated = 1
  redis.call('SREM', KEYS[6], ARGV[5])
end
local pending = 0
if delay > 0 and (vacated == 1 or removed == 1) then
  if vacated == 1 then redis.call('HSET', KEYS[4], '~', ARGV[2]) end
  if removed == 1 then redis.call('HSET', KEYS[4], 'u' .. userId, ARGV[2]) end
  -- Outlives the delay: the node confirming it may be late, or dead
  redis.call('PEXPIRE', KEYS[4], delay + 60000)
  pending = 1
end
return {1, vacated, removed, userId, pending}
`

/**
 * Confirms a leave's pending vacancy and removal once its delay is over:
 * each stands only if no join took it back and no later leave replaced it;
 * a confirmed removal takes the member off the list
 * KEYS: left, members, users
 * ARGV: leave token, user id or ""
 * Returns { vacated, memberRemoved } as 0/1
 */
export const CONFIRM_LEAVE_SCRIPT = `
local vacated = 0
if redis.call('HGET', KEYS[1], '~') == ARGV[1] then
  redis.call('HDEL', KEYS[1], '~')
  vacated = 1
end
local removed = 0
local field = 'u' .. ARGV[2]
if ARGV[2] ~= '' and redis.call('HGET', KEYS[1], field) == ARGV[1] then
  redis.call('HDEL', KEYS[1], field)
  if redis.call('HEXISTS', KEYS[3], ARGV[2]) == 0 then redis.call('HDEL', KEYS[2], ARGV[2]) end
  removed = 1
end
return {vacated, removed}
`

/**
 * A presence channel's members. A held member whose removal nobody will
 * confirm (its node died within the delay, and the pending field expired)
 * is dropped here.
 * KEYS: members, users, left
 * Returns a flat list: user id, user_info JSON, ...
 */
export const MEMBERS_SCRIPT = `
local stored = redis.call('HGETALL', KEYS[1])
local members = {}
for i = 1, #stored, 2 do
  local id = stored[i]
  if redis.call('HEXISTS', KEYS[2], id) == 1 or redis.call('HEXISTS', KEYS[3], 'u' .. id) == 1 then
    members[#members + 1] = id
    members[#members + 1] = stored[i + 1]
  else
    redis.call('HDEL', KEYS[1], id)
  end
end
return members
`

/**
 * Drops a channel from the occupied-channels index only if it is empty
 * (an entry left by a store that lost the channel's keys).
 * KEYS: the bucket's channels index, sockets of the channel
 * ARGV: channel name
 */
export const PRUNE_SCRIPT = `
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('SREM', KEYS[1], ARGV[1])
  return 1
end
return 0
`

/**
 * Counts one client event of a user in a channel in the user's window,
 * which starts at its first event and expires with it (set in the same
 * step as the first count, so no count outlives its window). Only a user
 * counted with a socket in the channel gets a window.
 * KEYS: the user's window in the channel, the channel's users
 * ARGV: the window in ms, the user id
 * Returns the events counted in the window, this one included (0: the
 * user holds no socket there, nothing counted)
 */
export const CLIENT_EVENT_SCRIPT = `
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 0 then return 0 end
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
`

/**
 * One more socket of a node from a client address: admitted when every
 * node's sockets from it stay within the limit. The node's field holds its
 * count as it then stands (with the new socket only when admitted), so
 * each call corrects what an earlier failed one left.
 * KEYS: the address's connections (node id -> count)
 * ARGV: node id, the node's count with the new socket, the limit
 * Returns 1 admitted, 0 refused
 */
export const OPEN_CONNECTION_SCRIPT = `
local count = tonumber(ARGV[2])
local total = count
local held = redis.call('HGETALL', KEYS[1])
for i = 1, #held, 2 do
  if held[i] ~= ARGV[1] then total = total + tonumber(held[i + 1]) end
end
local admitted = 1
if total > tonumber(ARGV[3]) then
  admitted = 0
  count = count - 1
end
if count > 0 then
  redis.call('HSET', KEYS[1], ARGV[1], count)
else
  redis.call('HDEL', KEYS[1], ARGV[1])
end
return admitted
`

type JoinReply = [number, number, number, number, number, number, number]
type LeaveReply = [number, number, number, string, number]

/**
 * The scripts, loaded once per connection (ioredis runs EVALSHA and falls
 * back to EVAL when Redis lost its script cache, as after a restart)
 */
interface ScriptCommands {
  broadcastJoin(...args: [...MembershipKeys, ...(string | number)[]]): Promise<JoinReply>
  broadcastLeave(
    ...args: [...MembershipKeys, string, string, number, string, string]
  ): Promise<LeaveReply>
  broadcastConfirmLeave(
    ...args: [string, string, string, string, string]
  ): Promise<[number, number]>
  broadcastMembers(...args: [string, string, string]): Promise<string[]>
  broadcastPrune(...args: [string, string, string]): Promise<number>
  broadcastClientEvent(...args: [string, string, number, string]): Promise<number>
  broadcastOpenConnection(...args: [string, string, number, number]): Promise<number>
}

export type ScriptedRedis = RedisClient & ScriptCommands

export function withScripts(redis: RedisClient): ScriptedRedis {
  if (!('broadcastJoin' in redis)) {
    redis.defineCommand('broadcastJoin', { numberOfKeys: 6, lua: JOIN_SCRIPT })
    redis.defineCommand('broadcastLeave', { numberOfKeys: 6, lua: LEAVE_SCRIPT })
    redis.defineCommand('broadcastConfirmLeave', { numberOfKeys: 3, lua: CONFIRM_LEAVE_SCRIPT })
    redis.defineCommand('broadcastMembers', { numberOfKeys: 3, lua: MEMBERS_SCRIPT })
    redis.defineCommand('broadcastPrune', { numberOfKeys: 2, lua: PRUNE_SCRIPT })
    redis.defineCommand('broadcastClientEvent', { numberOfKeys: 2, lua: CLIENT_EVENT_SCRIPT })
    redis.defineCommand('broadcastOpenConnection', {
      numberOfKeys: 1,
      lua: OPEN_CONNECTION_SCRIPT,
    })
  }
  return redis as ScriptedRedis
}
