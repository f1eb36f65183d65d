export { ChannelPolicies } from './channel_policies.ts'
export { PolicyService, type PolicyServiceConfig } from './policy_service.ts'
export { PolicyError } from '../errors.ts'
export { watchPolicies } from './watch.ts'
export { MEMBER_INFO_MAX_BYTES } from './member.ts'
export { MAX_POLICY_FILE_BYTES, MAX_YAML_DEPTH } from './yaml_bounds.ts'
export type {
  PolicyContext,
  PolicyDecision,
  PolicyListing,
  PolicyLoadOptions,
  PolicyMember,
  PolicyPredicate,
  PolicyUser,
} from './types.ts'
