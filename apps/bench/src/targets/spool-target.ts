import { type Spool, SpoolRegistry } from '@spoolkit/core';
import type { BenchTarget, WalkResult } from './types.js';

/** A moment after every id the benchmark generates, so walks see every entry. */
const FAR_FUTURE = new Date(8.64e15);

/**
 * Opens one spool of `kind` at `directory` through the core registry, the
 * way a policy's definition would, and adapts it to `BenchTarget`.
 */
export async function openSpoolTarget(
  kind: 'LocalDisk' | 'RocksDB',
  directory: string,
): Promise<BenchTarget & { spool: Spool }> {
  const registry = new SpoolRegistry();
  await registry.define({ name: 'bench', path: directory, kind });
  const spool = await registry.open('bench');
  return {
    label: kind,
    spool,
    store: (id, value, sync) => spool.store(id, value, { sync }),
    load: (id) => spool.load(id),
    remove: (id) => spool.remove(id),
    walk: (onEntry) => walkSpool(spool, onEntry),
    close: () => registry.closeAll(),
  };
}

/** Enumerates every entry of `spool`, counting items, bytes and corrupt entries. */
export async function walkSpool(
  spool: Spool,
  onEntry?: (count: number) => void,
): Promise<WalkResult> {
  const result: WalkResult = { entries: 0, bytes: 0, corrupt: 0 };
  for await (const entry of spool.enumerate({ createdBefore: FAR_FUTURE })) {
    if (entry.type === 'item') {
      result.entries += 1;
      result.bytes += entry.data.length;
    } else {
      result.corrupt += 1;
    }
    onEntry?.(result.entries + result.corrupt);
  }
  return result;
}
