import type { SpoolId } from '@spoolkit/core';

/** The counts of one enumeration. */
export interface WalkResult {
  entries: number;
  bytes: number;
  /** Entries the walk could not read; a healthy benchmark sees none. */
  corrupt: number;
}

/**
 * One store being measured: a spoolkit backend, or the raw baseline that
 * does the same work without it. Every method rejects on the first error.
 */
export interface BenchTarget {
  /** Short name for tables, such as `LocalDisk` or `raw fs`. */
  readonly label: string;
  store(id: SpoolId, value: Buffer, sync: boolean): Promise<void>;
  load(id: SpoolId): Promise<Buffer>;
  remove(id: SpoolId): Promise<void>;
  /** Reads every entry and its value; `onEntry` runs after each one. */
  walk(onEntry?: (count: number) => void): Promise<WalkResult>;
  close(): Promise<void>;
}
