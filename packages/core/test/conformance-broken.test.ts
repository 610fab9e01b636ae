import { describe, expect, it } from 'vitest';
import {
  type ConformanceCase,
  conformanceFamilies,
  runConformanceCase,
} from '../src/testing/index.js';
import { brokenBackends } from './support/broken-backends.js';
import { ReferenceSpool } from './support/reference-backend.js';

// Each broken backend gets one thing wrong on top of the correct
// reference spool. The cases listed for it must fail, and the same cases
// must pass on the reference, so that the failure is the bug's doing.

const casesByName = new Map<string, ConformanceCase>();
for (const family of conformanceFamilies) {
  for (const testCase of family.cases) {
    casesByName.set(`${family.name} > ${testCase.name}`, testCase);
  }
}

/** Short bounds, because the broken backends that hang are expected to. */
const bounds = { settleTimeoutMs: 500, largeValueBytes: 2 * 1024 * 1024 };

function caseNamed(name: string): ConformanceCase {
  const testCase = casesByName.get(name);
  if (testCase === undefined) throw new Error(`no conformance case ${name}`);
  return testCase;
}

describe('conformance suite', () => {
  it('has uniquely named cases', () => {
    const count = conformanceFamilies.reduce(
      (total, family) => total + family.cases.length,
      0,
    );
    expect(casesByName.size).toBe(count);
  });

  it('catches every listed case name', () => {
    for (const backend of brokenBackends) {
      for (const name of backend.caughtBy) {
        expect(casesByName.has(name), `${backend.name}: ${name}`).toBe(true);
      }
    }
  });

  it('leaves no case without a broken backend', () => {
    const caught = new Set(
      brokenBackends.flatMap((backend) => backend.caughtBy),
    );
    const uncaught = [...casesByName.keys()].filter(
      (name) => !caught.has(name),
    );
    expect(uncaught).toEqual([]);
  });
});

describe.each(brokenBackends)('broken backend that $name', (backend) => {
  it.each(backend.caughtBy)('fails %s', async (name) => {
    const testCase = caseNamed(name);
    await expect(
      runConformanceCase(testCase, {
        name: backend.name,
        create: backend.create,
        ...bounds,
      }),
    ).rejects.toThrow();
    await expect(
      runConformanceCase(testCase, {
        name: 'Reference',
        create: (dir) => ReferenceSpool.open(dir),
        ...bounds,
      }),
    ).resolves.toBeUndefined();
  });
});
