import { describe, it } from 'vitest';
import { conformanceFamilies } from './families.js';
import { runConformanceCase } from './harness.js';
import { type ConformanceOptions, resolveOptions } from './options.js';

/**
 * Declares the whole conformance suite for one backend: a vitest
 * `describe` per behaviour and an `it` per case. Call it once at the top
 * level of a test file. Cases that need a lock are skipped when `locks`
 * is false, and so are the names listed in `skip`.
 */
export function describeSpoolConformance(options: ConformanceOptions): void {
  const resolved = resolveOptions(options);
  describe(`${resolved.name} spool conformance`, () => {
    for (const family of conformanceFamilies) {
      describe(family.name, () => {
        for (const testCase of family.cases) {
          const skipped =
            (testCase.requires === 'locks' && !resolved.locks) ||
            resolved.skip.includes(`${family.name} > ${testCase.name}`);
          it.skipIf(skipped)(
            testCase.name,
            () => runConformanceCase(testCase, resolved),
            resolved.timeoutMs,
          );
        }
      });
    }
  });
}
