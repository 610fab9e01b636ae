import { describe, expect, it } from 'vitest';
import type { ExampleSummary } from '../src/run.js';
import { formatSummary } from '../src/summary.js';

function line(lines: string[], label: string): string | undefined {
  return lines.find((candidate) => candidate.startsWith(`${label}:`));
}

describe('formatSummary', () => {
  it('one message is singular', () => {
    const summary: ExampleSummary = {
      policyPath: '/policy.lua',
      messagesDir: '/messages',
      spoolRoot: '/spool',
      messages: 1,
      skipped: [],
      store: { ids: [{ id: 'x', name: 'a.eml' }], bytes: 10, ms: 1 },
      verify: {
        expected: 1,
        verified: 0,
        bytes: 0,
        mismatched: [],
        unsourced: [],
        missingData: [],
        missingMessages: ['a.eml'],
        unacknowledged: [],
        foreign: [],
        damaged: [],
        ids: [],
        ms: 1,
      },
      remove: { removed: 1, remaining: 1, swept: false, unreadable: [], ms: 1 },
      totalMs: 3,
      ok: false,
      keptForInspection: false,
    };

    const lines = formatSummary(summary);

    expect(line(lines, 'stored')).toMatch(/^stored: {3}1 message, /);
    expect(line(lines, 'verified')).toMatch(/^verified: 0 of 1 message, /);
    expect(line(lines, 'problems')).toMatch(/, 1 message not found$/);
    expect(line(lines, 'removed')).toMatch(
      /^removed: {2}1 message by id \(body and envelope, where present\), only /,
    );
    expect(line(lines, 'left')).toMatch(
      /^left: {5}1 entry in data and meta, left in place: the store phase/,
    );
  });
});
