export {
  applyPolicy,
  type LoadPolicyOptions,
  loadPolicy,
  type PolicyResult,
} from './load-policy.js';
