import { describe, expect, it } from 'vitest';
import {
  freeBytesWithoutInodes,
  outOfSpaceError,
  SpoolErrorCode,
} from '../src/index.js';

const failure = {
  prefix: "cannot open spool 'data' at /spool",
  step: '',
  path: '/spool',
  nextStep: 'open it again',
  context: { spool: 'data', path: '/spool' },
};

describe('freeBytesWithoutInodes', () => {
  it('reads an empty inode table', () => {
    expect(
      freeBytesWithoutInodes({ files: 40, ffree: 0, bavail: 10, bsize: 4096 }),
    ).toBe(40960);
  });

  it('ignores free inodes and unlimited tables', () => {
    expect(
      freeBytesWithoutInodes({ files: 40, ffree: 3, bavail: 10, bsize: 4096 }),
    ).toBeUndefined();
    expect(
      freeBytesWithoutInodes({ files: 0n, ffree: 0n, bavail: 1n, bsize: 1n }),
    ).toBeUndefined();
    expect(freeBytesWithoutInodes(undefined)).toBeUndefined();
  });
});

describe('outOfSpaceError', () => {
  it('names missing inodes', () => {
    const error = outOfSpaceError({
      ...failure,
      code: 'ENOSPC',
      freeBytesWithoutInodes: 40960,
    });
    expect(error.code).toBe(SpoolErrorCode.NoInodes);
    expect(error.spool).toBe('data');
    expect(error.message).toBe(
      "cannot open spool 'data' at /spool: the file system has no free inodes left (ENOSPC, with 40960 bytes still free); delete unused files on the file system that holds /spool, or move the spool to one with more inodes, then open it again",
    );
  });

  it('names a full disk and a quota', () => {
    const full = outOfSpaceError({
      ...failure,
      code: 'ENOSPC',
      step: 'while writing',
      freeBytesWithoutInodes: undefined,
    });
    expect(full.code).toBe(SpoolErrorCode.NoSpace);
    expect(full.message).toContain('out of space (ENOSPC while writing)');

    const quota = outOfSpaceError({
      ...failure,
      code: 'EDQUOT',
      freeBytesWithoutInodes: 40960,
    });
    expect(quota.code).toBe(SpoolErrorCode.NoSpace);
    expect(quota.message).toContain('the disk quota is exceeded (EDQUOT)');
    expect(quota.message).toContain('or raise that quota');
    expect(quota.message).not.toContain('free disk space');
  });
});
