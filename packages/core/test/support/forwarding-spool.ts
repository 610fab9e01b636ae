import type {
  EnumerateOptions,
  Spool,
  SpoolEntry,
  SpoolId,
} from '../../src/index.js';
import { SpoolErrorCode } from '../../src/index.js';
import { ReferenceSpool } from './reference-backend.js';

/**
 * A spool that forwards every call to a correct reference spool. Each
 * broken backend in broken-backends.ts overrides the calls it gets wrong.
 */
export class ForwardingSpool implements Spool {
  readonly kind = 'Broken';
  protected inner: Spool;

  constructor(inner: Spool) {
    this.inner = inner;
  }

  get name(): string {
    return this.inner.name;
  }

  get path(): string {
    return this.inner.path;
  }

  store(id: SpoolId, data: Uint8Array): Promise<void> {
    return this.inner.store(id, data);
  }

  load(id: SpoolId): Promise<Buffer> {
    return this.inner.load(id);
  }

  remove(id: SpoolId): Promise<void> {
    return this.inner.remove(id);
  }

  enumerate(options?: EnumerateOptions): AsyncIterable<SpoolEntry> {
    return this.inner.enumerate(options);
  }

  cleanup(): Promise<void> {
    return this.inner.cleanup();
  }

  compact(): Promise<void> {
    return this.inner.compact();
  }

  adviseLowMemory(): Promise<number> {
    return this.inner.adviseLowMemory();
  }

  get closed(): boolean | undefined {
    return this.inner.closed;
  }

  unhealthyReason(): string | undefined {
    return this.inner.unhealthyReason();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown }).code === SpoolErrorCode.NotFound;
}

/** A deliberately broken backend and the cases (`family > case`) that must catch it. */
export interface BrokenBackend {
  name: string;
  create(dir: string): Promise<Spool>;
  caughtBy: string[];
}

export type Override = (inner: Spool) => Spool;

export function broken(
  name: string,
  caughtBy: string[],
  override: Override,
  open: (dir: string) => Promise<Spool> = (dir) => ReferenceSpool.open(dir),
): BrokenBackend {
  return { name, caughtBy, create: async (dir) => override(await open(dir)) };
}
