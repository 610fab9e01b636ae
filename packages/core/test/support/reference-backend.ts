import { randomUUID } from 'node:crypto';
import {
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import {
  type EnumerateOptions,
  errnoCode,
  isSpoolError,
  KeyedQueue,
  type Spool,
  type SpoolBackend,
  type SpoolEntry,
  SpoolError,
  SpoolErrorCode,
  SpoolId,
  SpoolLifecycle,
  type StoreOptions,
  validateStoreArguments,
} from '../../src/index.js';

/** Directories held by an open reference spool in this process. */
const heldDirs = new Set<string>();

/**
 * A small, correct on-disk spool: one file per id under `entries/`,
 * written to a temp file and renamed into place. The conformance tests
 * run it to show the suite passes a correct backend, and the broken
 * backends wrap it.
 */
export class ReferenceSpool implements Spool {
  readonly name: string;
  readonly kind = 'Reference';
  readonly path: string;
  readonly #entries: string;
  readonly #lifecycle: SpoolLifecycle;
  readonly #queue = new KeyedQueue();
  readonly #openedAtTicks = SpoolId.nowTicks();
  readonly #locked: boolean;

  private constructor(name: string, dir: string, locked: boolean) {
    this.#locked = locked;
    this.name = name;
    this.path = dir;
    this.#entries = path.join(dir, 'entries');
    this.#lifecycle = new SpoolLifecycle(name, dir);
  }

  /**
   * Opens the spool in `dir`; rejects with `SPOOL_LOCKED` while another
   * one holds it, unless `locking` is false.
   */
  static async open(
    dir: string,
    { name = 'reference', locking = true } = {},
  ): Promise<ReferenceSpool> {
    const resolved = path.resolve(dir);
    if (!locking) {
      await mkdir(path.join(resolved, 'entries'), { recursive: true });
      return new ReferenceSpool(name, resolved, false);
    }
    if (heldDirs.has(resolved)) {
      throw new SpoolError(
        SpoolErrorCode.Locked,
        `spool '${name}' at ${resolved} is already open in this process; close it first`,
        { spool: name, path: resolved },
      );
    }
    heldDirs.add(resolved);
    try {
      await mkdir(path.join(resolved, 'entries'), { recursive: true });
    } catch (error) {
      heldDirs.delete(resolved);
      throw error;
    }
    return new ReferenceSpool(name, resolved, true);
  }

  store(
    id: SpoolId,
    data: Uint8Array,
    options: StoreOptions = {},
  ): Promise<void> {
    try {
      validateStoreArguments(id, data, options, this.name);
    } catch (error) {
      // Untimed ids are kept, so that the suite's other path for them
      // (yielded as corrupt by enumerate) has a backend that takes it.
      if (!isSpoolError(error, SpoolErrorCode.InvalidId)) {
        return Promise.reject(error);
      }
    }
    const copy = Buffer.from(data);
    return this.#lifecycle.run('store', () =>
      this.#queue.run(id.toString(), async () => {
        const temp = path.join(this.path, `.tmp-${randomUUID()}`);
        await writeFile(temp, copy);
        await rename(temp, this.#file(id));
      }),
    );
  }

  load(id: SpoolId): Promise<Buffer> {
    return this.#lifecycle.run('load', () =>
      this.#queue.run(id.toString(), async () => {
        try {
          return await readFile(this.#file(id));
        } catch (error) {
          if (errnoCode(error) === 'ENOENT') {
            throw new SpoolError(
              SpoolErrorCode.NotFound,
              `spool '${this.name}' has no entry ${id}`,
              { spool: this.name, id: id.toString(), path: this.#file(id) },
            );
          }
          throw error;
        }
      }),
    );
  }

  remove(id: SpoolId): Promise<void> {
    return this.#lifecycle.run('remove', () =>
      this.#queue.run(id.toString(), () => rm(this.#file(id), { force: true })),
    );
  }

  async *enumerate(options: EnumerateOptions = {}): AsyncIterable<SpoolEntry> {
    this.#lifecycle.assertOpen('enumerate');
    const release = this.#lifecycle.openLease();
    const cutoff =
      options.createdBefore === undefined
        ? this.#openedAtTicks
        : SpoolId.ticksAt(options.createdBefore.getTime());
    try {
      for (const name of await readdir(this.#entries)) {
        if (options.signal?.aborted || this.#lifecycle.isClosing) {
          return;
        }
        const id = SpoolId.tryParse(name);
        if (id === undefined) {
          continue;
        }
        const created = id.createdTicks;
        if (created === undefined) {
          const error = new SpoolError(
            SpoolErrorCode.Corrupt,
            `entry ${id} has an id without a creation time`,
            { spool: this.name, id: id.toString() },
          );
          yield { type: 'corrupt', id, error };
          continue;
        }
        if (created >= cutoff) {
          continue;
        }
        const data = await readFile(path.join(this.#entries, name)).catch(
          (error: unknown) => {
            if (errnoCode(error) === 'ENOENT') return undefined;
            throw error;
          },
        );
        if (data !== undefined) {
          yield { type: 'item', id, data };
        }
      }
    } finally {
      release();
    }
  }

  cleanup(): Promise<void> {
    return this.#lifecycle.run('cleanup', async () => {});
  }

  compact(): Promise<void> {
    return this.#lifecycle.run('compact', async () => {});
  }

  adviseLowMemory(): Promise<number> {
    return this.#lifecycle.run('adviseLowMemory', async () => 0);
  }

  /** Whether `close()` has begun. */
  get closed(): boolean {
    return this.#lifecycle.isClosing;
  }

  unhealthyReason(): string | undefined {
    return undefined;
  }

  close(): Promise<void> {
    return this.#lifecycle.close(async () => {
      if (this.#locked) {
        heldDirs.delete(this.path);
      }
    });
  }

  #file(id: SpoolId): string {
    return path.join(this.#entries, id.toString());
  }
}

/** The reference spool as a backend of kind `Reference`. */
export const referenceBackend: SpoolBackend<undefined> = {
  kind: 'Reference',
  validate: () => undefined,
  open: (definition) =>
    ReferenceSpool.open(definition.path, { name: definition.name }),
};
