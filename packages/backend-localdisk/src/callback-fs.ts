import fs from 'node:fs';
import { promisify } from 'node:util';
import type { LocalDiskFileHandle } from './fs-layer.js';

// The calls made for every entry, on Node's callback API. On Node 20 they
// used a half to a third of the JS-thread CPU per call of `fs/promises`
// readFile and FileHandle writes (1 KiB files, 64 in flight, 2-core VM).
// The likely cause is the FileHandle object each promise call creates.

const openFd = promisify(fs.open);
const writeFd = promisify(fs.write);
const closeFd = promisify(fs.close);
const truncateFd = promisify(fs.ftruncate);
const statFd = promisify(fs.fstat);
const chmodFd = promisify(fs.fchmod);
const datasyncFd = promisify(fs.fdatasync);
const syncFd = promisify(fs.fsync);

const readWhole = promisify(fs.readFile) as (
  target: string | number,
  options?: { flag: number },
) => Promise<Buffer>;

/**
 * Flags that open a file for reading, fail with ELOOP when its name is a
 * symbolic link, and do not wait for a writer when it is a FIFO.
 */
const READ_NO_FOLLOW = {
  flag:
    fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK,
};

/** `fs.readFile` with the numeric flags Node accepts and its types omit. */
const readWithFlags = fs.readFile as unknown as (
  target: string,
  options: { flag: number },
  callback: (error: NodeJS.ErrnoException | null, bytes: Buffer) => void,
) => void;

/** The `code` of the error `readFile` rejects with for a FIFO, socket or device. */
export const NOT_REGULAR_FILE = 'SPOOLKIT_NOT_REGULAR_FILE';

/**
 * Reads a whole file into a new buffer. A path that names a symbolic link
 * fails with ELOOP instead of reading the link's target, so an entry can
 * never return a file from outside the spool. A descriptor reads from its
 * position.
 *
 * A FIFO is opened without blocking, so it cannot hold a thread-pool
 * thread until a writer comes: with no writer it reads as empty, and with
 * one it fails with EAGAIN. An empty result is therefore checked with
 * `lstat`, and one that is not a regular file rejects with the code
 * `NOT_REGULAR_FILE`.
 */
export function readFile(target: string | number): Promise<Buffer> {
  if (typeof target === 'number') {
    return readWhole(target);
  }
  return new Promise((resolve, reject) => {
    readWithFlags(target, READ_NO_FOLLOW, (error, bytes) => {
      if (error) {
        reject(error);
      } else if (bytes.length > 0) {
        resolve(bytes);
      } else {
        resolveIfRegular(target, bytes, resolve, reject);
      }
    });
  });
}

function resolveIfRegular(
  target: string,
  bytes: Buffer,
  resolve: (bytes: Buffer) => void,
  reject: (error: Error) => void,
): void {
  fs.lstat(target, (error, stats) => {
    if (error || stats.isFile()) {
      // Removed since the read, or a real empty entry, so the read result is kept.
      resolve(bytes);
      return;
    }
    reject(
      Object.assign(
        new Error(`${target} is not a regular file (a FIFO, socket or device)`),
        { code: NOT_REGULAR_FILE, path: target },
      ),
    );
  });
}

/** `mkdir(2)`, or `mkdir -p` with `recursive`; resolves to the first directory created when recursive. */
export const mkdir = promisify(fs.mkdir) as (
  target: string,
  options?: { recursive?: boolean; mode?: number },
) => Promise<string | undefined>;

/** `rename(2)`. */
export const rename = promisify(fs.rename);

/** `unlink(2)`. */
export const unlink = promisify(fs.unlink);

/** Opens `target` and returns a handle on the raw descriptor. */
export async function open(
  target: string,
  flags: string | number,
  mode?: number,
): Promise<LocalDiskFileHandle> {
  return new DescriptorHandle(await openFd(target, flags, mode));
}

/**
 * A `LocalDiskFileHandle` on a plain file descriptor. Unlike a
 * `FileHandle`, it is not closed when garbage collected, so every caller
 * must call `close()` (the spool closes each handle in a `finally`). After
 * `close()`, every call rejects with `EBADF` instead of reaching a
 * descriptor number the process may have reused, and `close()` again
 * resolves at once.
 */
class DescriptorHandle implements LocalDiskFileHandle {
  readonly #fd: number;
  #closed = false;

  constructor(fd: number) {
    this.#fd = fd;
  }

  /** The descriptor, for `flock(2)`; -1 once closed. */
  get fd(): number {
    return this.#closed ? -1 : this.#fd;
  }

  async write(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ bytesWritten: number }> {
    const { bytesWritten } = await writeFd(
      this.#open('write'),
      buffer,
      offset,
      length,
      position,
    );
    return { bytesWritten };
  }

  /** Writes all of `data` from the current position, repeating short writes. */
  async writeFile(data: Uint8Array | string): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    let offset = 0;
    while (offset < bytes.length) {
      const { bytesWritten } = await writeFd(
        this.#open('write'),
        bytes,
        offset,
        bytes.length - offset,
        null,
      );
      if (bytesWritten === 0) {
        // A regular file reports a full disk as ENOSPC, so 0 bytes means the write cannot progress.
        throw Object.assign(new Error('EIO: write made no progress'), {
          code: 'EIO',
          syscall: 'write',
        });
      }
      offset += bytesWritten;
    }
  }

  async readFile(): Promise<Buffer> {
    return readFile(this.#open('read'));
  }

  async truncate(length: number): Promise<void> {
    await truncateFd(this.#open('ftruncate'), length);
  }

  async stat(): Promise<fs.Stats> {
    return statFd(this.#open('fstat'));
  }

  async chmod(mode: number): Promise<void> {
    await chmodFd(this.#open('fchmod'), mode);
  }

  async datasync(): Promise<void> {
    await datasyncFd(this.#open('fdatasync'));
  }

  async sync(): Promise<void> {
    await syncFd(this.#open('fsync'));
  }

  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    await closeFd(this.#fd);
  }

  /** Returns the descriptor, or throws `EBADF` once the handle is closed. */
  #open(syscall: string): number {
    if (this.#closed) {
      throw Object.assign(
        new Error(`EBADF: file handle already closed, ${syscall}`),
        { code: 'EBADF', syscall },
      );
    }
    return this.#fd;
  }
}
