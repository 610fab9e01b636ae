import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { EnumerateOptions, Spool, SpoolEntry } from '../spool.js';
import {
  type ConformanceOptions,
  type ResolvedConformanceOptions,
  resolveOptions,
} from './options.js';

/** The options and the fresh folder a case works with. */
export interface ConformanceContext {
  readonly options: ResolvedConformanceOptions;
  /** A folder for this case's spool, under a fresh temp directory; it does not exist yet. */
  readonly dir: string;
  /**
   * Opens a spool in `dir` (the case's folder by default) through the
   * backend's `create`. Spools still open when the case ends are closed.
   */
  open(dir?: string): Promise<Spool>;
}

/** One behaviour check: a short name and a function that throws when the backend fails it. */
export interface ConformanceCase {
  readonly name: string;
  /** Set when the case only applies to backends that lock their folder. */
  readonly requires?: 'locks';
  run(context: ConformanceContext): Promise<void>;
}

/** The cases of one behaviour, such as `enumerate` or `close`. */
export interface ConformanceFamily {
  readonly name: string;
  readonly cases: readonly ConformanceCase[];
}

/**
 * Runs one case against the backend in a fresh temp directory under
 * `os.tmpdir()`, then closes the spools the case left open and removes
 * the directory. Resolves when the backend passes; rejects with the
 * failed assertion otherwise.
 */
export async function runConformanceCase(
  testCase: ConformanceCase,
  options: ConformanceOptions,
): Promise<void> {
  const resolved = resolveOptions(options);
  const root = await mkdtemp(path.join(os.tmpdir(), 'spoolkit-conformance-'));
  const opened: Spool[] = [];
  const context: ConformanceContext = {
    options: resolved,
    dir: path.join(root, 'spool'),
    async open(dir = path.join(root, 'spool')) {
      const spool = await resolved.create(dir);
      opened.push(spool);
      return spool;
    },
  };
  try {
    await testCase.run(context);
  } finally {
    // A broken backend may never finish closing; give up after the bound
    // so that the temp directory is still removed.
    await Promise.allSettled(
      opened.map((spool) =>
        settleWithin(spool.close(), resolved.settleTimeoutMs, 'close'),
      ),
    );
    await rm(root, { recursive: true, force: true });
  }
}

/**
 * Resolves or rejects like `promise`, but rejects naming `what` when it
 * has not settled after `ms` milliseconds. The suite uses it for calls
 * that must end, such as `close()` after an enumeration was abandoned,
 * so that a backend that hangs fails with a reason.
 */
export function settleWithin<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not settle within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Asserts that `work` rejects with a spoolkit error carrying `code`.
 * Compares `code` only, not the class, so that a backend built against
 * another copy of `@spoolkit/core` passes too. Returns the error.
 */
export async function expectRejectsWithCode(
  work: Promise<unknown> | (() => Promise<unknown>),
  code: string,
  what: string,
): Promise<Error> {
  let error: unknown;
  let resolved = false;
  try {
    await (typeof work === 'function' ? work() : work);
    resolved = true;
  } catch (caught) {
    error = caught;
  }
  expect(resolved, `${what} resolved, but it must reject with ${code}`).toBe(
    false,
  );
  expect(error, `${what} rejected with a non-Error`).toBeInstanceOf(Error);
  expect((error as { code?: unknown }).code, `${what}: error code`).toBe(code);
  return error as Error;
}

/** The entries an enumeration yielded, by id text, and the corrupt ones. */
export interface CollectedEntries {
  items: Map<string, Buffer>;
  corrupt: SpoolEntry[];
}

/** Runs an enumeration to its end and collects what it yields. */
export async function collect(
  spool: Spool,
  options?: EnumerateOptions,
): Promise<CollectedEntries> {
  const items = new Map<string, Buffer>();
  const corrupt: SpoolEntry[] = [];
  for await (const entry of spool.enumerate(options)) {
    if (entry.type === 'item') {
      expect(
        items.has(entry.id.toString()),
        `enumerate yielded ${entry.id} twice`,
      ).toBe(false);
      items.set(entry.id.toString(), entry.data);
    } else {
      corrupt.push(entry);
    }
  }
  return { items, corrupt };
}

/** A cut-off later than any id the suite creates. */
export const FAR_FUTURE = new Date('9999-12-31T00:00:00Z');

/** Asserts `actual` contains exactly the bytes of `expected`, without printing megabytes. */
export function expectBytes(
  actual: Uint8Array,
  expected: Uint8Array,
  what: string,
): void {
  expect(Buffer.isBuffer(actual), `${what} is a Buffer`).toBe(true);
  expect(actual.length, `${what}: length`).toBe(expected.length);
  expect(
    Buffer.compare(Buffer.from(actual), Buffer.from(expected)),
    `${what}: bytes differ from what was stored`,
  ).toBe(0);
}

/** Waits until the wall clock has moved past `ms` (milliseconds since the epoch). */
export async function waitPast(ms: number): Promise<void> {
  while (Date.now() <= ms) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
