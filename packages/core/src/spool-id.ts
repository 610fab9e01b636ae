import { v1 as uuidV1 } from 'uuid';
import { SpoolError, SpoolErrorCode } from './errors.js';

const SIMPLE_FORM = /^[0-9a-f]{32}$/i;
const HYPHENATED_FORM =
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The URN prefix of a UUID; lowercase only, as in the Rust `uuid` crate. */
const URN_PREFIX = 'urn:uuid:';
const HEX_PAIR = /^[0-9a-f]{2}$/;
const HEX_LEAF = /^[0-9a-f]{24}$/;

/** 100 ns ticks between the Gregorian epoch (1582-10-15) and the Unix epoch. */
const GREGORIAN_TO_UNIX_TICKS = 0x01b21dd213814000n;
const TICKS_PER_MS = 10_000n;

/**
 * A spool id: a time-based UUID (version 1, as KumoMTA generates) printed as
 * 32 lowercase hex digits. Ids from other sources may be any UUID version;
 * only versions 1, 6 and 7 carry a creation time, and `created` is
 * `undefined` for the rest.
 */
export class SpoolId {
  readonly #bytes: Buffer;
  #text: string | undefined;

  private constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }

  /**
   * Generates a new version 1 id from the current time. Ids generated in
   * one process are unique, even in a tight loop: the `uuid` package
   * counts 100 ns ticks within a millisecond and picks a new random node
   * when the clock goes backwards or the counter runs out.
   *
   * NOTE: the node field is random rather than the host's MAC address, so
   * ids from two hosts do not name the host they came from.
   */
  static generate(): SpoolId {
    const bytes = Buffer.allocUnsafe(16);
    uuidV1(undefined, bytes, 0);
    return new SpoolId(bytes);
  }

  /**
   * Returns the current time on the id clock, in milliseconds since the
   * Unix epoch with a 100 ns fraction. A double near 1.7e12 ms resolves
   * about 0.24 µs, more than the 0.1 µs between two ids generated in a
   * row, so the result can equal the `createdMs` of an id generated just
   * before or after it. Use `nowTicks` for an exact cut-off.
   */
  static nowMs(): number {
    return SpoolId.generate().createdMs as number;
  }

  /**
   * Returns the current time on the id clock in 100 ns ticks since the
   * Unix epoch. It is greater than the `createdTicks` of every id this
   * process generated before the call and less than that of every id it
   * generates after, even within the same millisecond, so it makes an
   * exact cut-off for `enumerate`.
   */
  static nowTicks(): bigint {
    return SpoolId.generate().createdTicks as bigint;
  }

  /** Converts milliseconds since the Unix epoch, such as `Date.getTime()`, to 100 ns ticks. */
  static ticksAt(ms: number): bigint {
    return BigInt(Math.floor(ms)) * TICKS_PER_MS;
  }

  /**
   * Parses the forms KumoMTA's parser (the Rust `uuid` crate) accepts: the
   * simple form (32 hex digits), the hyphenated form (8-4-4-4-12), and the
   * hyphenated form in braces (`{…}`) or after a lowercase `urn:uuid:`.
   * Hex digits may be in any case. Throws `SPOOL_INVALID_ID` for anything
   * else.
   */
  static parse(text: string): SpoolId {
    if (typeof text !== 'string') {
      throw invalidId(`a spool id must be a string, got ${typeof text}`);
    }
    const hex = hexDigitsOf(text);
    if (hex === undefined) {
      throw invalidId(
        `invalid spool id ${JSON.stringify(text)}: expected 32 hex digits or the hyphenated UUID form 8-4-4-4-12, bare, in braces or after urn:uuid:`,
      );
    }
    return new SpoolId(Buffer.from(hex, 'hex'));
  }

  /** Like `parse`, but returns `undefined` instead of throwing. */
  static tryParse(text: string): SpoolId | undefined {
    const hex = typeof text === 'string' ? hexDigitsOf(text) : undefined;
    return hex === undefined ? undefined : new SpoolId(Buffer.from(hex, 'hex'));
  }

  /** Builds an id from its 16 bytes in RFC 4122 order. The bytes are copied. */
  static fromBytes(bytes: Uint8Array): SpoolId {
    if (!(bytes instanceof Uint8Array) || bytes.length !== 16) {
      const length =
        bytes instanceof Uint8Array ? `${bytes.length} bytes` : typeof bytes;
      throw invalidId(`a spool id is exactly 16 bytes, got ${length}`);
    }
    return new SpoolId(Buffer.from(bytes));
  }

  /**
   * Parses the LocalDisk relative path `aa/bb/cc/dd/<24 hex digits>`, with
   * `/` or `\` between the parts. Only the last five parts are read, so a
   * longer path such as `data/aa/bb/cc/dd/<leaf>` works too. Directory and
   * file names must be lowercase, as `relativePath` writes them.
   */
  static fromRelativePath(relativePath: string): SpoolId {
    const id = SpoolId.tryFromRelativePath(relativePath);
    if (id === undefined) {
      throw invalidId(
        `${JSON.stringify(relativePath)} is not a spool id path: expected aa/bb/cc/dd/ and 24 lowercase hex digits`,
      );
    }
    return id;
  }

  /** Like `fromRelativePath`, but returns `undefined` instead of throwing. */
  static tryFromRelativePath(relativePath: string): SpoolId | undefined {
    const parts = relativePath.split(/[\\/]/).filter((part) => part !== '');
    if (parts.length < 5) {
      return undefined;
    }
    const [a, b, c, d, leaf] = parts.slice(-5) as [
      string,
      string,
      string,
      string,
      string,
    ];
    if (
      !HEX_PAIR.test(a) ||
      !HEX_PAIR.test(b) ||
      !HEX_PAIR.test(c) ||
      !HEX_PAIR.test(d)
    ) {
      return undefined;
    }
    if (!HEX_LEAF.test(leaf)) {
      return undefined;
    }
    return new SpoolId(Buffer.from(a + b + c + d + leaf, 'hex'));
  }

  /** The UUID version, 0 to 15 (1 for ids from `generate`). */
  get version(): number {
    return (this.#bytes[6] as number) >> 4;
  }

  /** Whether the id carries a creation time (UUID versions 1, 6 and 7). */
  get isTimeBased(): boolean {
    const version = this.version;
    return version === 1 || version === 6 || version === 7;
  }

  /**
   * The creation time in 100 ns ticks since the Unix epoch, exact, or
   * `undefined` when the id is not time-based. Compare these, not
   * `createdMs`, to tell apart ids generated in the same microsecond.
   */
  get createdTicks(): bigint | undefined {
    const ticks = this.#gregorianTicks();
    return ticks === undefined ? undefined : ticks - GREGORIAN_TO_UNIX_TICKS;
  }

  /**
   * The creation time in milliseconds since the Unix epoch, with the
   * fraction that 100 ns ticks give, or `undefined` when the id is not
   * time-based.
   */
  get createdMs(): number | undefined {
    const sinceUnix = this.createdTicks;
    if (sinceUnix === undefined) {
      return undefined;
    }
    const wholeMs = sinceUnix / TICKS_PER_MS;
    const fraction = Number(sinceUnix - wholeMs * TICKS_PER_MS) / 10_000;
    return Number(wholeMs) + fraction;
  }

  /** The creation time, or `undefined` when the id is not time-based. */
  get created(): Date | undefined {
    const ms = this.createdMs;
    return ms === undefined ? undefined : new Date(Math.floor(ms));
  }

  /** The 16 bytes in RFC 4122 order, as a new buffer the caller may change. */
  toBytes(): Buffer {
    return Buffer.from(this.#bytes);
  }

  /**
   * The LocalDisk path relative to the `data/` directory:
   * `aa/bb/cc/dd/<24 hex digits>`, the first four levels being the bytes of
   * the UUID's `time_low` field.
   */
  relativePath(separator = '/'): string {
    const text = this.toString();
    return [
      text.slice(0, 2),
      text.slice(2, 4),
      text.slice(4, 6),
      text.slice(6, 8),
      text.slice(8),
    ].join(separator);
  }

  /** Whether `other` is the same id. */
  equals(other: SpoolId): boolean {
    return this.#bytes.equals(other.#bytes);
  }

  /** The simple form: 32 lowercase hex digits. */
  toString(): string {
    this.#text ??= this.#bytes.toString('hex');
    return this.#text;
  }

  toJSON(): string {
    return this.toString();
  }

  #gregorianTicks(): bigint | undefined {
    const b = this.#bytes;
    switch (this.version) {
      case 1: {
        const low = BigInt(b.readUInt32BE(0));
        const mid = BigInt(b.readUInt16BE(4));
        const high = BigInt(b.readUInt16BE(6) & 0x0fff);
        return (high << 48n) | (mid << 32n) | low;
      }
      case 6: {
        const high = BigInt(b.readUInt32BE(0));
        const mid = BigInt(b.readUInt16BE(4));
        const low = BigInt(b.readUInt16BE(6) & 0x0fff);
        return (high << 28n) | (mid << 12n) | low;
      }
      case 7: {
        const unixMs = BigInt(b.readUIntBE(0, 6));
        return unixMs * TICKS_PER_MS + GREGORIAN_TO_UNIX_TICKS;
      }
      default:
        return undefined;
    }
  }
}

function invalidId(message: string): SpoolError {
  return new SpoolError(SpoolErrorCode.InvalidId, message);
}

/** Returns the 32 hex digits of a UUID text form `SpoolId.parse` accepts, or `undefined`. */
function hexDigitsOf(text: string): string | undefined {
  if (SIMPLE_FORM.test(text)) {
    return text;
  }
  let hyphenated = text;
  if (text.startsWith('{') && text.endsWith('}')) {
    hyphenated = text.slice(1, -1);
  } else if (text.startsWith(URN_PREFIX)) {
    hyphenated = text.slice(URN_PREFIX.length);
  }
  return HYPHENATED_FORM.test(hyphenated)
    ? hyphenated.replaceAll('-', '')
    : undefined;
}
