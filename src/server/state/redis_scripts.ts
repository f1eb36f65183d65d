/**
 * The Lua scripts of the Redis channel state. Each runs atomically, so the
 * decisions "first subscription anywhere", "first socket of this user
 * anywhere" and "the channel is full" cannot race between nodes. Every key
 * a script touches is declared and carries the channel's hash tag, so a
 * script runs on one Redis Cluster slot.
 *
 * Keys of one channel ("<prefix>{<channel>}:...", see RedisState):
 *   sockets  hash "nodeId:socketId" -> "p<userId>" (presence) or "-"
 *   members  hash userId -> user_info JSON
 *   users    hash userId -> how many sockets hold the user
 */

/**
 * KEYS: sockets, members, users
 * ARGV: socket key, "1" for a presence join, user id, user_info JSON,
 *       member limit (0: none)
 * Returns { occupied, memberAdded, full } as 0/1
 */
export const JOIN_SCRIPT = `
-- The same socket again (a node re-applying its memberships): no change
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  return {0, 0, 0}
end
local occupied = 0
if redis.call('HLEN', KEYS[1]) == 0 then occupied = 1 end
if ARGV[2] ~= '1' then
  redis.call('HSET', KEYS[1], ARGV[1], '-')
  return {occupied, 0, 0}
end
local added = 0
-- The user's first socket anywhere: a new member, if there is room
if redis.call('HEXISTS', KEYS[3], ARGV[3]) == 0 then
  local limit = tonumber(ARGV[5])
  if limit > 0 and redis.call('HLEN', KEYS[2]) >= limit then
    return {0, 0, 1}
  end
  redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
  added = 1
end
redis.call('HINCRBY', KEYS[3], ARGV[3], 1)
redis.call('HSET', KEYS[1], ARGV[1], 'p' .. ARGV[3])
return {occupied, added, 0}
`

/**
 * KEYS: sockets, members, users
 * ARGV: socket key
 * Returns { removed, vacated, memberRemoved, userId }: the user id is the
 * one stored at join, so a reaper needs to know nothing but the socket
 */
export const LEAVE_SCRIPT = `
local holder = redis.call('HGET', KEYS[1], ARGV[1])
if not holder then
  return {0, 0, 0, ''}
end
redis.call('HDEL', KEYS[1], ARGV[1])
local removed = 0
local userId = ''
if string.sub(holder, 1, 1) == 'p' then
  userId = string.sub(holder, 2)
  -- The user's last socket anywhere: the member goes
  if redis.call('HINCRBY', KEYS[3], userId, -1) <= 0 then
    redis.call('HDEL', KEYS[3], userId)
    redis.call('HDEL', KEYS[2], userId)
    removed = 1
  end
end
local vacated = 0
if redis.call('EXISTS', KEYS[1]) == 0 then vacated = 1 end
return {1, vacated, removed, userId}
`

/**
 * Drops a channel from the occupied-channels index only if it is still
 * empty, so a join that raced the leave keeps it listed.
 * KEYS: channels index, sockets of the channel
 * ARGV: channel name
 * (Two slots: on Redis Cluster this needs the index on the channel's slot.)
 */
export const PRUNE_SCRIPT = `
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('SREM', KEYS[1], ARGV[1])
  return 1
end
return 0
`
