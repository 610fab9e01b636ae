export { describeSpoolConformance } from './describe.js';
export { conformanceFamilies } from './families.js';
export {
  type CollectedEntries,
  type ConformanceCase,
  type ConformanceContext,
  type ConformanceFamily,
  collect,
  expectBytes,
  expectRejectsWithCode,
  runConformanceCase,
  settleWithin,
} from './harness.js';
export type {
  ConformanceOptions,
  ResolvedConformanceOptions,
} from './options.js';
