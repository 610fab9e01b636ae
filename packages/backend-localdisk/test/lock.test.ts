import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  existsSync,
  linkSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { SpoolError } from '@spoolkit/core';
import { describe, expect, it } from 'vitest';
import { openLocalDiskSpool } from '../src/index.js';
import { lockedMessage } from '../src/lock.js';
import {
  lines,
  makeTempDir,
  openSpool,
  runFixture,
  startFixture,
} from './helpers.js';

/** Whether util-linux's flock(1) is installed; it takes the same flock(2) lock as kumod. */
const HAS_FLOCK_COMMAND = spawnSync('flock', ['--version']).status === 0;

/** Whether Linux's /proc/locks exists, from which the spool names a lock's holder. */
const HAS_PROC_LOCKS = existsSync('/proc/locks');

/** Starts a child that holds the lock on `dir` and resolves to its pid once it does. */
async function holdLockInChild(dir: string) {
  const child = startFixture('hold-lock.mjs', [dir]);
  for await (const line of lines(child)) {
    const match = /^locked (\d+)$/.exec(line);
    if (match) {
      return { child, pid: Number(match[1]) };
    }
  }
  throw new Error('the lock holder exited before taking the lock');
}

/** Holds the lock on `lockPath` with flock(1), which writes no pid; prints `held` once it does. */
function holdWithFlock(lockPath: string) {
  return spawn(
    'flock',
    [
      '--nonblock',
      '--no-fork',
      lockPath,
      'sh',
      '-c',
      'echo held; exec sleep 30',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
}

/**
 * Holds the lock of the spool at `dir` with flock(1), writes `filePid` to
 * the lock file when given (`holder` writes the holder's own pid), and
 * tries to open the spool. Returns the open's error and the holder's pid;
 * the holder is killed before it returns.
 */
async function openWhileFlockHolds(
  dir: string,
  filePid?: number | 'holder',
): Promise<{ error: SpoolError; holderPid: number }> {
  const lockPath = path.join(dir, 'lock');
  if (typeof filePid === 'number') {
    writeFileSync(lockPath, `${filePid}\n`);
  }
  const holder = holdWithFlock(lockPath);
  try {
    await once(holder.stdout as NodeJS.ReadableStream, 'data');
    if (filePid === 'holder') {
      writeFileSync(lockPath, `${holder.pid}\n`);
    }
    const error = await openLocalDiskSpool({ name: 'data', path: dir }).then(
      () => {
        throw new Error('the spool opened while flock(1) held its lock');
      },
      (caught: SpoolError) => caught,
    );
    return { error, holderPid: holder.pid as number };
  } finally {
    holder.kill('SIGKILL');
  }
}

/**
 * Checks the SPOOL_LOCKED error of an open while flock(1) held a lock file
 * that names no pid. Linux names the holder from /proc/locks, and
 * elsewhere the message says the file names none.
 */
function expectFlockHolderNamed(
  error: SpoolError,
  holderPid: number,
  lockPath: string,
): void {
  expect(error.code).toBe('SPOOL_LOCKED');
  expect(error.message).toContain(
    HAS_PROC_LOCKS
      ? `locked by pid ${holderPid}; stop that process`
      : `${lockPath} names no pid`,
  );
}

describe('pid lock', () => {
  it('writes the pid and the sticky bit', async () => {
    const dir = makeTempDir();

    await openSpool({ path: dir });

    const lockPath = path.join(dir, 'lock');
    expect(readFileSync(lockPath, 'utf8')).toBe(`${process.pid}\n`);
    expect(statSync(lockPath).mode & 0o1000).toBe(0o1000);
  });

  it('rejects a second open in this process', async () => {
    const dir = makeTempDir();
    await openSpool({ path: dir });

    const error = await openLocalDiskSpool({ name: 'data', path: dir }).catch(
      (caught) => caught,
    );

    expect(error).toBeInstanceOf(SpoolError);
    expect(error.code).toBe('SPOOL_LOCKED');
    expect(error.message).toContain(
      `spool 'data' at ${dir} is locked by pid ${process.pid}`,
    );
    expect(readFileSync(path.join(dir, 'lock'), 'utf8')).toBe(
      `${process.pid}\n`,
    );
  });

  it('lets exactly one of two racing opens win', async () => {
    const dir = makeTempDir();

    const results = await Promise.allSettled([
      openLocalDiskSpool({ name: 'data', path: dir }),
      openLocalDiskSpool({ name: 'data', path: dir }),
    ]);

    const opened = results.filter((result) => result.status === 'fulfilled');
    const rejected = results.filter((result) => result.status === 'rejected');
    expect(opened).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect((rejected[0] as PromiseRejectedResult).reason.code).toBe(
      'SPOOL_LOCKED',
    );
    await (
      opened[0] as PromiseFulfilledResult<{ close(): Promise<void> }>
    ).value.close();
  });

  it('rejects an open while a child holds it', async () => {
    const dir = makeTempDir();
    const { pid } = await holdLockInChild(dir);

    const error = await openLocalDiskSpool({ name: 'data', path: dir }).catch(
      (caught) => caught,
    );

    expect(error.code).toBe('SPOOL_LOCKED');
    expect(error.message).toBe(
      `spool 'data' at ${dir} is locked by pid ${pid}; stop that process or choose another path (a process it started may share the lock: 'fuser -v ${path.join(dir, 'lock')}' lists every holder)`,
    );
    expect(error.path).toBe(dir);
  });

  it('rejects a child while this process holds it', async () => {
    const dir = makeTempDir();
    await openSpool({ path: dir });

    const outcome = await runFixture('open-spool.mjs', [dir]);

    expect(outcome.opened).toBe(false);
    expect(outcome.code).toBe('SPOOL_LOCKED');
    expect(outcome.message).toContain(`locked by pid ${process.pid}`);
  });

  it('opens after the holder is killed', async () => {
    const dir = makeTempDir();
    const { child, pid } = await holdLockInChild(dir);
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(readFileSync(path.join(dir, 'lock'), 'utf8')).toBe(`${pid}\n`);

    await openSpool({ path: dir });

    expect(readFileSync(path.join(dir, 'lock'), 'utf8')).toBe(
      `${process.pid}\n`,
    );
  });

  it('opens after the holder closes', async () => {
    const dir = makeTempDir();
    const { child } = await holdLockInChild(dir);
    child.stdin?.end();
    await once(child, 'exit');

    await expect(openSpool({ path: dir })).resolves.toBeDefined();
  });

  it('ignores a stale pid file', async () => {
    const dir = makeTempDir();
    const dead = startFixture('open-spool.mjs', [makeTempDir()]);
    await once(dead, 'exit');
    writeFileSync(path.join(dir, 'lock'), `${dead.pid}\n`);

    await openSpool({ path: dir });

    expect(readFileSync(path.join(dir, 'lock'), 'utf8')).toBe(
      `${process.pid}\n`,
    );
  });

  it('replaces a longer stale content', async () => {
    const dir = makeTempDir();
    writeFileSync(path.join(dir, 'lock'), '1234567890123\nleftover text\n');

    await openSpool({ path: dir });

    expect(readFileSync(path.join(dir, 'lock'), 'utf8')).toBe(
      `${process.pid}\n`,
    );
  });

  it('reopens right after close', async () => {
    const dir = makeTempDir();
    const first = await openLocalDiskSpool({ name: 'data', path: dir });

    await first.close();
    const second = await openLocalDiskSpool({ name: 'data', path: dir });

    expect(readFileSync(path.join(dir, 'lock'), 'utf8')).toBe(
      `${process.pid}\n`,
    );
    await second.close();
  });

  it.skipIf(!HAS_FLOCK_COMMAND)('rejects while flock(1) holds it', async () => {
    const dir = makeTempDir();
    const lockPath = path.join(dir, 'lock');

    const { error, holderPid } = await openWhileFlockHolds(dir);

    expectFlockHolderNamed(error, holderPid, lockPath);
  });

  it.skipIf(!HAS_FLOCK_COMMAND)(
    'names a pid that is no longer running',
    async () => {
      const dir = makeTempDir();
      const lockPath = path.join(dir, 'lock');
      const exited = spawnSync('true');

      const { error, holderPid } = await openWhileFlockHolds(dir, exited.pid);

      expect(error.code).toBe('SPOOL_LOCKED');
      expect(error.message).toContain(
        HAS_PROC_LOCKS
          ? `locked by pid ${holderPid} (${lockPath} names pid ${exited.pid}, which does not hold the lock)`
          : `${lockPath} names pid ${exited.pid}, and no process with that pid is visible from here`,
      );
      expect(error.message).not.toContain(`locked by pid ${exited.pid}`);
    },
  );

  it.skipIf(!HAS_FLOCK_COMMAND)('close leaves no pid behind', async () => {
    const dir = makeTempDir();
    const lockPath = path.join(dir, 'lock');
    const spool = await openLocalDiskSpool({ name: 'data', path: dir });
    await spool.close();
    expect(readFileSync(lockPath, 'utf8')).toBe('');

    const { error, holderPid } = await openWhileFlockHolds(dir);

    expectFlockHolderNamed(error, holderPid, lockPath);
    expect(error.message).not.toContain('which is this process');
  });

  it.skipIf(!HAS_FLOCK_COMMAND)('names a running holder', async () => {
    const dir = makeTempDir();

    const { error, holderPid } = await openWhileFlockHolds(dir, 'holder');

    expect(error.code).toBe('SPOOL_LOCKED');
    expect(error.message).toContain(
      `locked by pid ${holderPid}; stop that process`,
    );
  });

  it.skipIf(!HAS_FLOCK_COMMAND || !HAS_PROC_LOCKS)(
    'says when the taker of the lock has exited',
    async () => {
      const dir = makeTempDir();
      const lockPath = path.join(dir, 'lock');
      writeFileSync(lockPath, '');
      // flock(1) exits once sh does, and the backgrounded sleep keeps the lock.
      const output = execFileSync('flock', [
        lockPath,
        'sh',
        '-c',
        'sleep 30 >/dev/null 2>&1 & echo $!',
      ]);
      const keeper = Number(output.toString().trim());
      try {
        const error = await openLocalDiskSpool({
          name: 'data',
          path: dir,
        }).catch((caught) => caught);

        expect(error.code).toBe('SPOOL_LOCKED');
        expect(error.message).toMatch(
          /pid \d+ took the lock and has exited, and a process it started still holds it/,
        );
        expect(error.message).toContain(`'fuser -v ${lockPath}'`);
      } finally {
        process.kill(keeper, 'SIGKILL');
      }
    },
  );

  it.skipIf(!HAS_FLOCK_COMMAND || !HAS_PROC_LOCKS)(
    'names the holder, not a running pid in the file',
    async () => {
      const dir = makeTempDir();
      const lockPath = path.join(dir, 'lock');
      // A reused pid: running, but not the process that holds the lock.
      const bystander = spawn('sleep', ['30']);
      try {
        const { error, holderPid } = await openWhileFlockHolds(
          dir,
          bystander.pid,
        );

        expect(error.code).toBe('SPOOL_LOCKED');
        expect(error.message).toContain(
          `locked by pid ${holderPid} (${lockPath} names pid ${bystander.pid}, which does not hold the lock)`,
        );
        expect(error.message).not.toContain(`locked by pid ${bystander.pid}`);
      } finally {
        bystander.kill('SIGKILL');
      }
    },
  );

  it('creates missing parent directories', async () => {
    const dir = path.join(makeTempDir(), 'deep', 'spool', 'data');

    await openSpool({ path: dir });

    expect(readFileSync(path.join(dir, 'lock'), 'utf8')).toBe(
      `${process.pid}\n`,
    );
  });
});

describe('other kinds', () => {
  it('refuses a directory with a RocksDB database', async () => {
    const dir = makeTempDir();
    writeFileSync(path.join(dir, 'CURRENT'), 'MANIFEST-000005\n');

    const error = await openLocalDiskSpool({ name: 'data', path: dir }).catch(
      (caught) => caught,
    );

    expect(error.code).toBe('SPOOL_DIRECTORY_UNUSABLE');
    expect(error.spool).toBe('data');
    expect(error.message).toContain('contains a RocksDB database');
    expect(error.message).toContain("set kind = 'RocksDB'");
    expect(readdirSync(dir)).toEqual(['CURRENT']);
  });
});

describe('lock file that is a FIFO', () => {
  it('fails the open instead of waiting for a reader', async () => {
    const dir = makeTempDir();
    execFileSync('mkfifo', [path.join(dir, 'lock')]);

    const error = await openLocalDiskSpool({ name: 'data', path: dir }).catch(
      (caught) => caught,
    );

    expect(error.code).toBe('SPOOL_DIRECTORY_UNUSABLE');
    expect(error.message).toContain(path.join(dir, 'lock'));
    expect(error.message).toContain('ENXIO');
  });
});

describe('lockedMessage without /proc/locks', () => {
  const lockPath = '/s/lock';

  it('hedges a running pid from the file', () => {
    const bystander = spawn('sleep', ['30']);
    try {
      expect(
        lockedMessage('data', '/s', lockPath, bystander.pid, undefined),
      ).toBe(
        `spool 'data' at /s is locked by pid ${bystander.pid}, as ${lockPath} says; a holder that writes no pid could hold it instead, so check with 'fuser -v ${lockPath}' before you stop pid ${bystander.pid}, or choose another path`,
      );
    } finally {
      bystander.kill('SIGKILL');
    }
  });

  it('says when the file names no pid', () => {
    expect(lockedMessage('data', '/s', lockPath, undefined, undefined)).toBe(
      `spool 'data' at /s is locked by another process (${lockPath} names no pid); find the holder with 'fuser -v ${lockPath}', then stop it or choose another path`,
    );
  });

  it('says a pid in the file is not visible', () => {
    const exited = spawnSync('true').pid;
    expect(lockedMessage('data', '/s', lockPath, exited, undefined)).toBe(
      `spool 'data' at /s is locked by another process; ${lockPath} names pid ${exited}, and no process with that pid is visible from here (it exited, or it runs in another pid namespace); find the holder with 'fuser -v ${lockPath}', then stop it or choose another path`,
    );
  });
});

describe('lockedMessage with a holder from /proc/locks', () => {
  const lockPath = '/s/lock';

  it('prefers the holder to the file', () => {
    const holder = spawn('sleep', ['30']);
    try {
      expect(lockedMessage('data', '/s', lockPath, 1, holder.pid)).toBe(
        `spool 'data' at /s is locked by pid ${holder.pid} (${lockPath} names pid 1, which does not hold the lock); stop that process or choose another path (a process it started may share the lock: 'fuser -v ${lockPath}' lists every holder)`,
      );
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('says the holder has exited', () => {
    const exited = spawnSync('true').pid;
    expect(lockedMessage('data', '/s', lockPath, exited, exited)).toBe(
      `spool 'data' at /s is locked by another process: pid ${exited} took the lock and has exited, and a process it started still holds it; find the holder with 'fuser -v ${lockPath}', then stop it or choose another path`,
    );
  });
});

describe('lock file that is a symbolic link', () => {
  it('rejects it, leaves its target alone', async () => {
    const dir = makeTempDir();
    const target = path.join(makeTempDir(), 'victim');
    writeFileSync(target, 'keep me\n', { mode: 0o640 });
    symlinkSync(target, path.join(dir, 'lock'));

    const error = await openLocalDiskSpool({ name: 'data', path: dir }).catch(
      (caught) => caught,
    );

    expect(error.code).toBe('SPOOL_DIRECTORY_UNUSABLE');
    expect(error.path).toBe(path.join(dir, 'lock'));
    expect(error.message).toContain('is a symbolic link');
    expect(readFileSync(target, 'utf8')).toBe('keep me\n');
    expect(statSync(target).mode & 0o7777).toBe(0o640);
  });

  it('rejects a hard-linked lock', async () => {
    const dir = makeTempDir();
    const target = path.join(dir, 'outside');
    writeFileSync(target, 'keep me\n', { mode: 0o600 });
    linkSync(target, path.join(dir, 'lock'));

    const error = await openLocalDiskSpool({ name: 'data', path: dir }).catch(
      (caught) => caught,
    );

    expect(error.code).toBe('SPOOL_DIRECTORY_UNUSABLE');
    expect(error.message).toContain('has 2 hard links');
    expect(readFileSync(target, 'utf8')).toBe('keep me\n');
    expect(statSync(target).mode & 0o7777).toBe(0o600);
  });

  it('creates no target for a dangling link', async () => {
    const dir = makeTempDir();
    const target = path.join(makeTempDir(), 'missing');
    symlinkSync(target, path.join(dir, 'lock'));

    const error = await openLocalDiskSpool({ name: 'data', path: dir }).catch(
      (caught) => caught,
    );

    expect(error.code).toBe('SPOOL_DIRECTORY_UNUSABLE');
    expect(existsSync(target)).toBe(false);
  });
});
