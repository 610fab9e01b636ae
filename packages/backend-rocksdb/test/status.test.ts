import { describe, expect, it } from 'vitest';
import { toSpoolError } from '../src/status.js';

describe('toSpoolError', () => {
  const context = { spool: 'data', path: '/s/data', operation: 'store' };

  it('maps a full disk to SPOOL_NO_SPACE', () => {
    const error = toSpoolError(
      new Error('IO error: No space left on deviceWhile appending to file'),
      context,
    );
    expect(error.code).toBe('SPOOL_NO_SPACE');
    expect(error.message).toContain('No space left on device; while appending');
    expect(error.message).not.toContain('deviceWhile');
  });

  it('keeps the cause', () => {
    const cause = new Error('IO error: boom');
    const error = toSpoolError(cause, context);
    expect(error.code).toBe('SPOOL_IO');
    expect(error.cause).toBe(cause);
  });
});
