import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { SpoolEntry } from '@spoolkit/core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import {
  defaultLocalDiskFs,
  type LocalDiskFileHandle,
  type LocalDiskFs,
} from '../src/fs-layer.js';
import {
  type LocalDiskSpool,
  type LocalDiskSpoolOptions,
  openLocalDiskSpool,
} from '../src/index.js';

const fixtures = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'fixtures',
);

const tempDirs: string[] = [];
const openSpools: LocalDiskSpool[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
    }
  }
  await Promise.allSettled(openSpools.splice(0).map((spool) => spool.close()));
  for (const dir of tempDirs.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Makes a temp directory that is deleted after the test. */
export function makeTempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'spoolkit-localdisk-'));
  tempDirs.push(dir);
  return dir;
}

/** Opens a spool named `data` at `dir` (a new temp dir by default), closed after the test. */
export async function openSpool(
  options: Partial<LocalDiskSpoolOptions> = {},
): Promise<LocalDiskSpool> {
  const spool = await openLocalDiskSpool({
    name: 'data',
    path: options.path ?? makeTempDir(),
    ...options,
  });
  openSpools.push(spool);
  return spool;
}

/** Collects every entry of an enumeration. */
export async function collect(
  entries: AsyncIterable<SpoolEntry>,
): Promise<SpoolEntry[]> {
  const all: SpoolEntry[] = [];
  for await (const entry of entries) {
    all.push(entry);
  }
  return all;
}

/** A moment safely after every id generated so far. */
export function future(): Date {
  return new Date(Date.now() + 60_000);
}

/** Lists the names in a directory, or an empty list when it is missing. */
export function listNames(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Lists every file below `dir`, recursively, as paths relative to it. */
export function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) =>
      path.relative(dir, path.join(entry.parentPath, entry.name)),
    );
}

/** The number of file descriptors this process has open. */
export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Builds a Node-style system error with `code`, as a failing syscall throws it. */
export function systemError(
  code: string,
  syscall: string,
  target?: string,
): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(
    `${code}: injected failure, ${syscall}${target ? ` '${target}'` : ''}`,
  );
  error.code = code;
  error.syscall = syscall;
  if (target !== undefined) {
    error.path = target;
  }
  return error;
}

/** A switchable fs layer: real calls, except those a test puts in `faults` or `handleFaults`. */
export interface FaultyFs {
  fs: LocalDiskFs;
  faults: Partial<LocalDiskFs>;
  handleFaults: Partial<
    Record<
      keyof LocalDiskFileHandle,
      (handle: LocalDiskFileHandle) => Promise<never>
    >
  >;
}

/** Makes an fs layer whose calls go to `faults` or `handleFaults` when set there, else to node:fs. */
export function faultyFs(): FaultyFs {
  const state: FaultyFs = {
    fs: {} as LocalDiskFs,
    faults: {},
    handleFaults: {},
  };
  const fs: Record<string, unknown> = {};
  for (const key of Object.keys(defaultLocalDiskFs) as (keyof LocalDiskFs)[]) {
    fs[key] = (...args: unknown[]) => {
      const replacement = (state.faults[key] ?? defaultLocalDiskFs[key]) as (
        ...a: unknown[]
      ) => unknown;
      return replacement(...args);
    };
  }
  const realOpen = fs.open as LocalDiskFs['open'];
  fs.open = async (...args: Parameters<LocalDiskFs['open']>) =>
    wrapHandle(await realOpen(...args), state);
  state.fs = fs as unknown as LocalDiskFs;
  return state;
}

function wrapHandle(
  handle: LocalDiskFileHandle,
  state: FaultyFs,
): LocalDiskFileHandle {
  return new Proxy(handle, {
    get(target, property) {
      const fault = state.handleFaults[property as keyof LocalDiskFileHandle];
      if (fault !== undefined) {
        return () => fault(target);
      }
      const value = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Counts of the directories and reads a walk has open, kept by `countingFs`. */
export interface FsCounts {
  opened: number;
  closed: number;
  /** Directories opened and not yet closed. */
  openDirs: number;
  maxOpenDirs: number;
  readsStarted: number;
  /** `readFile` calls that have not settled yet. */
  readsInFlight: number;
  maxReadsInFlight: number;
}

/**
 * Wraps the `opendir` and `readFile` of a `faultyFs` so they count what is
 * open and in flight. `delayRead`, when set, may return a promise that a
 * read waits for before it starts, or throws to fail that read.
 */
export function countingFs(
  faulty: FaultyFs = faultyFs(),
  delayRead?: (target: string) => Promise<void> | undefined,
): { faulty: FaultyFs; counts: FsCounts } {
  const counts: FsCounts = {
    opened: 0,
    closed: 0,
    openDirs: 0,
    maxOpenDirs: 0,
    readsStarted: 0,
    readsInFlight: 0,
    maxReadsInFlight: 0,
  };
  faulty.faults.opendir = async (target, options) => {
    const dir = await defaultLocalDiskFs.opendir(target, options);
    counts.opened += 1;
    counts.openDirs += 1;
    counts.maxOpenDirs = Math.max(counts.maxOpenDirs, counts.openDirs);
    return {
      read: () => dir.read(),
      close: async () => {
        await dir.close();
        counts.closed += 1;
        counts.openDirs -= 1;
      },
    };
  };
  faulty.faults.readFile = async (target) => {
    counts.readsStarted += 1;
    counts.readsInFlight += 1;
    counts.maxReadsInFlight = Math.max(
      counts.maxReadsInFlight,
      counts.readsInFlight,
    );
    try {
      await delayRead?.(target);
      return await defaultLocalDiskFs.readFile(target);
    } finally {
      counts.readsInFlight -= 1;
    }
  };
  return { faulty, counts };
}

/** Starts `test/fixtures/<script>` with node, optionally as another uid/gid; killed after the test. */
export function startFixture(
  script: string,
  args: string[],
  options: { uid?: number; gid?: number } = {},
): ChildProcess {
  const child = spawn(
    process.execPath,
    [path.join(fixtures, script), ...args],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
      ...options,
    },
  );
  children.push(child);
  return child;
}

/** Yields the stdout lines of a child process. */
export function lines(child: ChildProcess): AsyncIterable<string> {
  return createInterface({ input: child.stdout as NodeJS.ReadableStream });
}

/** Runs a fixture to its end and returns its stdout parsed as JSON, or throws with its stderr. */
export async function runFixture(
  script: string,
  args: string[],
  options: { uid?: number; gid?: number } = {},
) {
  const child = startFixture(script, args, options);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) =>
    child.on('close', resolve),
  );
  if (code !== 0) {
    throw new Error(`fixture ${script} exited with ${code}: ${stderr}`);
  }
  return JSON.parse(stdout);
}

/** The uid and gid of `nobody`, for checks that root would pass regardless of permissions. */
export const NOBODY = { uid: 65534, gid: 65534 };

/** Whether this process may start children as `nobody` and chown files to it. */
export const IS_ROOT = process.getuid?.() === 0;

/**
 * Collects the reasons of unhandled rejections while the calling test
 * file runs, emptied after each test, so a test can assert that none
 * happened.
 */
export function recordUnhandledRejections(): unknown[] {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeAll(() => {
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    unhandled.length = 0;
  });
  afterAll(() => {
    process.off('unhandledRejection', onUnhandled);
  });
  return unhandled;
}
