import { lifecycleSuite } from '../../helpers/lifecycle_suite.ts'
import { sharedRedis } from '../../helpers/redis_nodes.ts'

lifecycleSuite('one node', 1, () => ({}))

/**
 * Occupied and vacated are the cluster's: decided in Redis, reported by
 * the node whose join or leave decided them
 */
const redis = sharedRedis()
lifecycleSuite('three Redis nodes', 3, redis.options, redis.hooks)
