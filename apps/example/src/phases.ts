import { lstat } from 'node:fs/promises';
import {
  isSpoolError,
  SpoolErrorCode,
  SpoolId,
  type SpoolLogger,
} from '@spoolkit/core';
import type { StoreLedger } from './acknowledged.js';
import {
  ATTACHMENT_BYTES_KEY,
  decodeMeta,
  encodeMeta,
  envelopeFor,
  SHA256_KEY,
  SOURCE_KEY,
} from './envelope.js';
import { MAX_ATTACHMENT_MIB } from './large-message.js';
import {
  LARGE_MESSAGE_NAME,
  largeMessage,
  type SourceMessage,
  sha256Hex,
} from './messages.js';
import { EVERY_ENTRY, type OpenSpools } from './spools.js';

/** The ids, byte count and time of a `storeMessages` call. */
export interface StoreResult {
  /** The id each message was stored under, in message order. */
  ids: { id: string; name: string }[];
  bytes: number;
  ms: number;
}

/** Records one message of the store phase, by id and message name. */
export type StoreRecorder = (id: string, name: string) => Promise<void>;

/**
 * Stores each message's body in `data`, then its envelope in `meta`, under
 * a new id. Calls `begin` with the id and the message's name before the
 * body, and `acknowledge` once both are stored. Rejects with the spool's
 * error on the first failed store.
 *
 * kumod writes the two at once, so a crash between them can leave an
 * envelope without its body, for a message it never acknowledged. Writing
 * the body first means every envelope here has its body, so `verifySpools`
 * can count a missing body as lost data.
 */
export async function storeMessages(
  spools: OpenSpools,
  messages: readonly SourceMessage[],
  logger: SpoolLogger,
  recorders: { begin: StoreRecorder; acknowledge: StoreRecorder },
): Promise<StoreResult> {
  const started = performance.now();
  const ids: StoreResult['ids'] = [];
  let bytes = 0;
  for (const message of messages) {
    const id = SpoolId.generate();
    const idText = id.toString();
    const meta = encodeMeta(envelopeFor(message));
    await recorders.begin(idText, message.name);
    await spools.data.store(id, message.bytes);
    await spools.meta.store(id, meta);
    await recorders.acknowledge(idText, message.name);
    ids.push({ id: idText, name: message.name });
    bytes += message.bytes.length;
    logger.debug({ id: idText, name: message.name }, 'stored message');
  }
  return { ids, bytes, ms: performance.now() - started };
}

/** A meta entry that could not be used, and why. */
export interface DamagedEntry {
  id: string | undefined;
  path: string | undefined;
  reason: string;
}

/** The findings of a `verifySpools` call. */
export interface VerifyResult {
  /** Messages expected in the spools: the files, plus the generated one when a meta entry names it. */
  expected: number;
  /** Messages whose body matched its source byte for byte. */
  verified: number;
  bytes: number;
  /** Ids whose body differs from the SHA-256 their envelope recorded, or from their source file. */
  mismatched: string[];
  /** Verified ids whose source file is missing from the messages folder: checked against the envelope's SHA-256 only. */
  unsourced: string[];
  /** Ids with an envelope but no body in `data`. */
  missingData: string[];
  /** Source messages no envelope in `meta` named. */
  missingMessages: string[];
  /** Ids in `meta` that the store phase began but did not acknowledge, because it was cut short. */
  unacknowledged: string[];
  /** Ids in `meta` that the store phase never began: entries other programs wrote. */
  foreign: string[];
  /** Meta entries that were empty, not JSON, or unreadable; skipped. */
  damaged: DamagedEntry[];
  /** Every id seen in `meta`, damaged ones included, for `removeEntries`. */
  ids: SpoolId[];
  ms: number;
}

/**
 * Enumerates `meta`, decodes each envelope, loads the body it belongs to
 * and compares the body's SHA-256 with the source message's. The generated
 * message is expected only when a meta entry names it, and is rebuilt with
 * the attachment size that entry records, so a verify run needs no flag to
 * match the store run. A damaged meta entry is logged, recorded and
 * skipped. Rejects only when the spool itself fails, not for bad entries.
 */
export async function verifySpools(
  spools: OpenSpools,
  messages: readonly SourceMessage[],
  logger: SpoolLogger,
  ledger: StoreLedger | undefined,
): Promise<VerifyResult> {
  const started = performance.now();
  const sources = new Map(
    messages
      .filter((message) => message.name !== LARGE_MESSAGE_NAME)
      .map((message) => [message.name, message]),
  );
  const seen = new Set<string>();
  const result: VerifyResult = {
    expected: 0,
    verified: 0,
    bytes: 0,
    mismatched: [],
    unsourced: [],
    missingData: [],
    missingMessages: [],
    unacknowledged: [],
    foreign: [],
    damaged: [],
    ids: [],
    ms: 0,
  };

  for await (const entry of spools.meta.enumerate()) {
    if (entry.type === 'corrupt') {
      const damaged = {
        id: entry.id?.toString(),
        path: entry.path,
        reason: entry.error.message,
      };
      logger.warn(damaged, 'skipped an unreadable meta entry');
      result.damaged.push(damaged);
      if (entry.id !== undefined) {
        result.ids.push(entry.id);
      }
      continue;
    }

    result.ids.push(entry.id);
    const id = entry.id.toString();
    if (ledger !== undefined && !ledger.acknowledged.has(id)) {
      // Nothing was promised about a message the store phase did not
      // acknowledge, and an id it never began is another program's.
      const began = ledger.started.has(id);
      logger.warn(
        { id },
        began
          ? 'skipped a message the store phase began but did not acknowledge'
          : 'skipped an envelope the store phase did not write',
      );
      (began ? result.unacknowledged : result.foreign).push(id);
      continue;
    }

    let envelope: ReturnType<typeof decodeMeta>;
    try {
      envelope = decodeMeta(entry.data);
    } catch (error) {
      const damaged = { id, path: undefined, reason: (error as Error).message };
      logger.warn(damaged, 'skipped a damaged meta entry');
      result.damaged.push(damaged);
      continue;
    }

    // Before the body is loaded, so that an envelope naming the generated
    // message counts it as expected even when its body is missing.
    const name = envelope.meta[SOURCE_KEY];
    if (name === LARGE_MESSAGE_NAME && !sources.has(name)) {
      const generated = regenerate(envelope.meta[ATTACHMENT_BYTES_KEY]);
      if (generated !== undefined) {
        sources.set(name, generated);
      }
    }

    // Found, whatever its body turns out to be: "not found" counts only
    // messages no envelope names.
    if (typeof name === 'string') {
      seen.add(name);
    }
    const body = await loadBody(spools, entry.id);
    if (body === undefined) {
      logger.error({ id }, 'meta entry has no body in the data spool');
      result.missingData.push(id);
      continue;
    }

    const source = typeof name === 'string' ? sources.get(name) : undefined;
    const hash = sha256Hex(body);
    const recorded = envelope.meta[SHA256_KEY];
    const problem = bodyProblem(hash, recorded, source);
    if (problem !== undefined) {
      logger.error(
        { id, source: name, sha256: hash, recorded, file: source?.sha256 },
        problem,
      );
      result.mismatched.push(id);
      continue;
    }
    if (source === undefined) {
      // No source file of that name in this run's messages folder, so the
      // body is checked against the SHA-256 its envelope recorded only.
      result.unsourced.push(id);
    }
    result.verified += 1;
    result.bytes += body.length;
  }

  // With an acknowledgement list, exactly its messages are expected.
  const expected =
    ledger === undefined
      ? [...sources.keys()]
      : [...new Set(ledger.acknowledged.values())];
  result.expected = expected.length;
  result.missingMessages = expected.filter((name) => !seen.has(name));
  result.ms = performance.now() - started;
  return result;
}

/** Rebuilds the generated message from a recorded size, if the size is valid. */
function regenerate(attachmentBytes: unknown): SourceMessage | undefined {
  const valid =
    Number.isSafeInteger(attachmentBytes) &&
    (attachmentBytes as number) > 0 &&
    (attachmentBytes as number) <= MAX_ATTACHMENT_MIB * 1024 * 1024;
  return valid ? largeMessage(attachmentBytes as number) : undefined;
}

async function loadBody(
  spools: OpenSpools,
  id: SpoolId,
): Promise<Buffer | undefined> {
  try {
    return await spools.data.load(id);
  } catch (error) {
    if (isSpoolError(error, SpoolErrorCode.NotFound)) {
      return undefined;
    }
    throw error;
  }
}

/** The counts and time of a `removeEntries` call. */
export interface RemoveResult {
  /** Ids whose body and envelope were removed (either may have been missing). */
  removed: number;
  /**
   * Entries the two spools still enumerated after the removal by id, such
   * as bodies without an envelope. Removed too when `sweep` was on, left in
   * place otherwise.
   */
  remaining: number;
  /** Whether `remaining` entries were removed as well. */
  swept: boolean;
  /**
   * Paths the spools reported as corrupt without an id, such as a stray
   * file or folder in place of a hash directory. No `remove(id)` reaches
   * them, so they stay; counted in `remaining`.
   */
  unreadable: string[];
  ms: number;
}

/**
 * Removes the body and the envelope of every id, then counts whatever the
 * two spools still enumerate, removes it too when `sweep` is on, and runs
 * their upkeep so LocalDisk prunes its empty directories. Sweep only
 * spools that hold nothing but this example's entries.
 */
export async function removeEntries(
  spools: OpenSpools,
  ids: readonly SpoolId[],
  sweep: boolean,
): Promise<RemoveResult> {
  const started = performance.now();
  for (const id of ids) {
    await spools.data.remove(id);
    await spools.meta.remove(id);
  }

  let remaining = 0;
  const unreadable: string[] = [];
  for (const spool of [spools.data, spools.meta]) {
    const found: SpoolId[] = [];
    const strays: string[] = [];
    for await (const entry of spool.enumerate(EVERY_ENTRY)) {
      if (entry.id !== undefined) {
        found.push(entry.id);
      } else if (entry.type === 'corrupt') {
        strays.push(entry.path ?? spool.path);
      }
    }
    if (sweep) {
      for (const id of found) {
        await spool.remove(id);
      }
    }
    remaining += found.length;
    await spool.cleanup();
    // cleanup() prunes empty folders, stray ones included.
    const left = await existing(strays);
    unreadable.push(...left);
    remaining += left.length;
  }
  return {
    removed: ids.length,
    remaining,
    swept: sweep,
    unreadable,
    ms: performance.now() - started,
  };
}

/** Returns the paths in `paths` that still exist. */
async function existing(paths: readonly string[]): Promise<string[]> {
  const found = await Promise.all(
    paths.map((target) =>
      lstat(target).then(
        () => true,
        () => false,
      ),
    ),
  );
  return paths.filter((_target, index) => found[index]);
}

/**
 * Returns why a body fails verification, or `undefined` when it passes:
 * it must match the SHA-256 its envelope recorded at store time, when
 * there is one, and the source file of that name, when there is one. A
 * body that matches its envelope but not the source file fails too,
 * since a source edited after the store phase and a body rewritten
 * together with its envelope look the same.
 */
function bodyProblem(
  hash: string,
  recorded: unknown,
  source: SourceMessage | undefined,
): string | undefined {
  if (typeof recorded === 'string' && hash !== recorded) {
    return 'body does not match the SHA-256 its envelope recorded at store time';
  }
  if (source !== undefined && hash !== source.sha256) {
    return typeof recorded === 'string'
      ? 'body matches its envelope but not the source file of that name: the file changed since the store phase, or body and envelope were both rewritten'
      : 'body does not match the source file of that name';
  }
  if (typeof recorded !== 'string' && source === undefined) {
    return 'envelope records no SHA-256 and --messages has no source file of that name, so the body cannot be checked';
  }
  return undefined;
}
