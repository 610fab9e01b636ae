import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isSpoolError, type SpoolError } from '@spoolkit/core';
import { afterEach, expect } from 'vitest';

const directories: string[] = [];

afterEach(() => {
  for (const directory of directories.splice(0)) {
    fs.rmSync(directory, { recursive: true, force: true });
  }
});

/** Creates a temp directory removed after the current test. */
export function makeTempDir(): string {
  const directory = fs.mkdtempSync(
    path.join(os.tmpdir(), 'spoolkit-config-lua-'),
  );
  directories.push(directory);
  return directory;
}

/**
 * Writes `files` (relative name to Lua source) into a fresh temp directory
 * and returns the path of the first one.
 */
export function writePolicy(files: Record<string, string>): string {
  const directory = makeTempDir();
  for (const [name, source] of Object.entries(files)) {
    const file = path.join(directory, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, source);
  }
  return path.join(directory, Object.keys(files)[0] as string);
}

/** Awaits `promise` and returns the `SpoolError` it must reject with. */
export async function rejection(
  promise: Promise<unknown>,
): Promise<SpoolError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(
    isSpoolError(caught),
    `expected a SpoolError, got ${String(caught)}`,
  ).toBe(true);
  return caught as SpoolError;
}

/** Builds a logger that records every call. */
export function recordingLogger() {
  const records: { level: string; fields: object; message?: string }[] = [];
  const record = (level: string) => (fields: object, message?: string) => {
    records.push({ level, fields, message });
  };
  return {
    records,
    logger: {
      debug: record('debug'),
      info: record('info'),
      warn: record('warn'),
      error: record('error'),
    },
  };
}

/** Wraps `body` in `kumo.on('init', ...)`, so that it starts on line 2. */
export function inInit(body: string): string {
  return `kumo.on('init', function()\n${body}\nend)\n`;
}
