import { randomUUID } from 'node:crypto';
import {
  type EnumerateOptions,
  SpoolError,
  SpoolErrorCode,
  SpoolId,
  type StoreOptions,
} from '../../src/index.js';
import {
  type BrokenBackend,
  broken,
  delay,
  ForwardingSpool,
  isNotFound,
} from './forwarding-spool.js';
import { ReferenceSpool } from './reference-backend.js';

export type { BrokenBackend } from './forwarding-spool.js';

const unlocked = (dir: string) => ReferenceSpool.open(dir, { locking: false });

export const brokenBackends: BrokenBackend[] = [
  broken(
    'loses overwrites',
    ['round trip > store overwrites', 'persistence > reopen keeps data'],
    (inner) =>
      new (class extends ForwardingSpool {
        override async store(id: SpoolId, data: Uint8Array) {
          const exists = await this.inner.load(id).then(
            () => true,
            () => false,
          );
          if (!exists) await this.inner.store(id, data);
        }
      })(inner),
  ),
  broken(
    'appends a newline on load',
    ['round trip > load returns stored bytes'],
    (inner) =>
      new (class extends ForwardingSpool {
        override async load(id: SpoolId) {
          return Buffer.concat([await this.inner.load(id), Buffer.from('\n')]);
        }
      })(inner),
  ),
  broken(
    'shares one write buffer across ids',
    ['concurrency > concurrent stores of many ids'],
    (inner) =>
      new (class extends ForwardingSpool {
        #pending = Buffer.alloc(0);
        override async store(id: SpoolId, data: Uint8Array) {
          // Concurrent stores overwrite the one staging buffer before it is written.
          this.#pending = Buffer.from(data);
          await delay(1);
          await this.inner.store(id, this.#pending);
        }
      })(inner),
  ),
  broken(
    'rejects store options',
    ['round trip > store accepts sync and deadline'],
    (inner) =>
      new (class extends ForwardingSpool {
        override store(id: SpoolId, data: Uint8Array, options?: StoreOptions) {
          if (options !== undefined) {
            return Promise.reject(new TypeError('store takes two arguments'));
          }
          return this.inner.store(id, data);
        }
      })(inner),
  ),
  broken(
    'load resolves undefined when missing',
    [
      'missing > load rejects with SPOOL_NOT_FOUND',
      'missing > load after remove rejects',
    ],
    (inner) =>
      new (class extends ForwardingSpool {
        override load(id: SpoolId) {
          return this.inner.load(id).catch((error: unknown) => {
            if (isNotFound(error)) return undefined as unknown as Buffer;
            throw error;
          });
        }
      })(inner),
  ),
  broken(
    'not-found error without the id',
    ['missing > load rejects with SPOOL_NOT_FOUND'],
    (inner) =>
      new (class extends ForwardingSpool {
        override load(id: SpoolId) {
          return this.inner.load(id).catch((error: unknown) => {
            if (!isNotFound(error)) throw error;
            throw new SpoolError(SpoolErrorCode.NotFound, 'no such key');
          });
        }
      })(inner),
  ),
  broken(
    'remove rejects when missing',
    [
      'missing > remove is idempotent',
      'concurrency > store racing remove on one id',
    ],
    (inner) =>
      new (class extends ForwardingSpool {
        override async remove(id: SpoolId) {
          await this.inner.load(id);
          await this.inner.remove(id);
        }
      })(inner),
  ),
  broken(
    'drops empty values',
    ['values > empty value'],
    (inner) =>
      new (class extends ForwardingSpool {
        override store(id: SpoolId, data: Uint8Array) {
          return data.length === 0
            ? this.inner.remove(id)
            : this.inner.store(id, data);
        }
      })(inner),
  ),
  broken(
    'stores a detached value as empty',
    ['values > detached value is refused'],
    (inner) =>
      new (class extends ForwardingSpool {
        override store(id: SpoolId, data: Uint8Array) {
          // What a backend that skips validateStoreArguments ends up doing.
          return this.inner.store(
            id,
            data.byteLength === 0 ? new Uint8Array(0) : data,
          );
        }
      })(inner),
  ),
  broken(
    'stores values as UTF-8 text',
    ['values > binary value', 'values > multi-MB value'],
    (inner) =>
      new (class extends ForwardingSpool {
        override store(id: SpoolId, data: Uint8Array) {
          return this.inner.store(
            id,
            Buffer.from(Buffer.from(data).toString('utf8')),
          );
        }
      })(inner),
  ),
  broken(
    'truncates values at 1 MiB',
    ['values > multi-MB value'],
    (inner) =>
      new (class extends ForwardingSpool {
        override store(id: SpoolId, data: Uint8Array) {
          return this.inner.store(id, data.subarray(0, 1024 * 1024));
        }
      })(inner),
  ),
  broken(
    'stores the whole ArrayBuffer of a view',
    ['values > view stores only its bytes'],
    (inner) =>
      new (class extends ForwardingSpool {
        override store(id: SpoolId, data: Uint8Array) {
          return this.inner.store(id, new Uint8Array(data.buffer));
        }
      })(inner),
  ),
  broken(
    'shares buffers with the caller',
    [
      'copies > store copies the caller buffer',
      'copies > load returns the caller own buffer',
    ],
    (inner) =>
      new (class extends ForwardingSpool {
        readonly #kept = new Map<string, Buffer>();
        override async store(id: SpoolId, data: Uint8Array) {
          await this.inner.store(id, data);
          this.#kept.set(id.toString(), data as Buffer);
        }
        override async load(id: SpoolId) {
          return this.#kept.get(id.toString()) ?? this.inner.load(id);
        }
        override async remove(id: SpoolId) {
          this.#kept.delete(id.toString());
          await this.inner.remove(id);
        }
      })(inner),
  ),
  broken(
    'ignores createdBefore',
    [
      'enumerate > createdBefore excludes later ids',
      'enumerate > createdBefore defaults to open time',
    ],
    (inner) =>
      new (class extends ForwardingSpool {
        override enumerate(options?: EnumerateOptions) {
          return this.inner.enumerate({
            ...options,
            createdBefore: new Date('9999-12-31'),
          });
        }
      })(inner),
  ),
  broken(
    'yields removed entries',
    ['enumerate > skips removed entries'],
    (inner) =>
      new (class extends ForwardingSpool {
        readonly #removed = new Map<string, SpoolId>();
        override async remove(id: SpoolId) {
          await this.inner.remove(id);
          this.#removed.set(id.toString(), id);
        }
        override async *enumerate(options?: EnumerateOptions) {
          yield* this.inner.enumerate(options);
          for (const id of this.#removed.values()) {
            yield { type: 'item' as const, id, data: Buffer.alloc(0) };
          }
        }
      })(inner),
  ),
  broken(
    'walk loads ids it listed first',
    ['enumerate > writes during the walk'],
    (inner) =>
      new (class extends ForwardingSpool {
        override async *enumerate(options?: EnumerateOptions) {
          const ids: SpoolId[] = [];
          for await (const entry of this.inner.enumerate(options)) {
            if (entry.type === 'item') ids.push(entry.id);
          }
          for (const id of ids) {
            yield {
              type: 'item' as const,
              id,
              data: await this.inner.load(id),
            };
          }
        }
      })(inner),
  ),
  broken(
    'yields untimed ids as items',
    ['enumerate > untimed id is not an item'],
    (inner) =>
      new (class extends ForwardingSpool {
        override async *enumerate(options?: EnumerateOptions) {
          for await (const entry of this.inner.enumerate(options)) {
            if (entry.type === 'corrupt' && entry.id !== undefined) {
              yield {
                type: 'item' as const,
                id: entry.id,
                data: await this.inner.load(entry.id),
              };
            } else {
              yield entry;
            }
          }
        }
      })(inner),
  ),
  broken(
    'cleanup deletes entries',
    ['upkeep > upkeep keeps data'],
    (inner) =>
      new (class extends ForwardingSpool {
        override async cleanup() {
          const ids: SpoolId[] = [];
          for await (const entry of this.inner.enumerate({
            createdBefore: new Date('9999-12-31'),
          })) {
            if (entry.id !== undefined) ids.push(entry.id);
          }
          for (const id of ids.slice(0, 1)) {
            await this.inner.remove(id);
          }
        }
      })(inner),
  ),
  broken(
    'keeps the walk open after break',
    ['enumerate > early break releases the walk'],
    (inner) =>
      new (class extends ForwardingSpool {
        override async *enumerate(options?: EnumerateOptions) {
          // Never calls return() on the inner iterator, so its lease stays open.
          const iterator = this.inner
            .enumerate(options)
            [Symbol.asyncIterator]();
          for (;;) {
            const next = await iterator.next();
            if (next.done) return;
            yield next.value;
          }
        }
      })(inner),
  ),
  broken(
    'ignores the abort signal',
    ['enumerate > abort signal ends the walk'],
    (inner) =>
      new (class extends ForwardingSpool {
        override enumerate(options?: EnumerateOptions) {
          return this.inner.enumerate({ ...options, signal: undefined });
        }
      })(inner),
  ),
  broken(
    'yields mangled ids',
    [
      'round trip > ids round trip',
      'enumerate > yields every entry with its data',
    ],
    (inner) =>
      new (class extends ForwardingSpool {
        override async *enumerate(options?: EnumerateOptions) {
          for await (const entry of this.inner.enumerate(options)) {
            if (entry.type !== 'item') continue;
            const bytes = entry.id.toBytes().reverse();
            yield { ...entry, id: SpoolId.fromBytes(bytes) };
          }
        }
      })(inner),
  ),
  broken(
    'reorders writes to one id',
    [
      'concurrency > concurrent stores of one id',
      'concurrency > store racing remove on one id',
      'concurrency > loads see the calls made before them',
    ],
    (inner) =>
      new (class extends ForwardingSpool {
        #calls = 0;
        async #inTurn<T>(work: () => Promise<T>): Promise<T> {
          // Every other call waits, so later calls overtake it.
          this.#calls += 1;
          if (this.#calls % 2 === 1) await delay(15);
          return work();
        }
        override store(id: SpoolId, data: Uint8Array) {
          const copy = Buffer.from(data);
          return this.#inTurn(() => this.inner.store(id, copy));
        }
        override remove(id: SpoolId) {
          return this.#inTurn(() => this.inner.remove(id));
        }
      })(inner),
  ),
  broken(
    'close abandons work in flight',
    ['close > close waits for work in flight'],
    (inner) =>
      new (class extends ForwardingSpool {
        override async store(id: SpoolId, data: Uint8Array) {
          const copy = Buffer.from(data);
          await delay(5);
          await this.inner.store(id, copy);
        }
      })(inner),
  ),
  broken(
    'keeps working after close',
    [
      'close > close waits for work in flight',
      'close > every method rejects after close',
      'lock > second open rejects with SPOOL_LOCKED',
    ],
    (inner) =>
      new (class extends ForwardingSpool {
        override async close() {}
      })(inner),
    unlocked,
  ),
  broken(
    'takes no lock',
    ['lock > second open rejects with SPOOL_LOCKED'],
    (inner) => new ForwardingSpool(inner),
    unlocked,
  ),
  broken(
    'forgets data on reopen',
    [
      'persistence > reopen keeps data',
      'close > close waits for work in flight',
    ],
    (inner) => new ForwardingSpool(inner),
    (dir) => ReferenceSpool.open(`${dir}-${randomUUID()}`),
  ),
];
