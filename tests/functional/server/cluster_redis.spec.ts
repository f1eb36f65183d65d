import { clusterSuite } from '../../helpers/cluster_suite.ts'
import { sharedRedis } from '../../helpers/redis_nodes.ts'

/**
 * The three-node suite again, with the nodes sharing a real Redis (a
 * fresh key prefix per test) instead of one process's memory
 */
const redis = sharedRedis()
clusterSuite('Redis', redis.options, redis.hooks)
