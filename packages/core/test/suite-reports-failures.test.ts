import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { startVitest } from 'vitest/node';
import { conformanceFamilies } from '../src/testing/index.js';

const fixtures = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'fixtures',
);

it('describeSpoolConformance reports failed cases', async () => {
  const vitest = await startVitest('test', [], {
    root: fixtures,
    config: false,
    include: ['ignores-created-before.fixture.ts'],
    watch: false,
    reporters: [{}],
  });
  const outcomes = new Map<string, string>();
  try {
    for (const module of vitest.state.getTestModules()) {
      for (const test of module.children.allTests()) {
        outcomes.set(test.fullName, test.result().state);
      }
    }
  } finally {
    await vitest.close();
  }
  const failed = [...outcomes]
    .filter(([, state]) => state === 'failed')
    .map(([name]) => name);
  expect(failed.sort()).toEqual([
    'IgnoresCreatedBefore spool conformance > enumerate > createdBefore defaults to open time',
    'IgnoresCreatedBefore spool conformance > enumerate > createdBefore excludes later ids',
  ]);
  const caseCount = conformanceFamilies.reduce(
    (total, family) => total + family.cases.length,
    0,
  );
  expect(outcomes.size).toBe(caseCount);
  // The nested run sets this process's exit code for the failures it expects.
  process.exitCode = undefined;
}, 60_000);
