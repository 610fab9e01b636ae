import { mkdtempSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  errnoCode,
  makeDirectories,
  SpoolId,
  type SpoolLogger,
} from '@spoolkit/core';
import {
  readAcknowledged,
  recordAcknowledged,
  recordRemoving,
  recordStarted,
  removeAcknowledged,
  startAcknowledged,
} from './acknowledged.js';
import { partitionByEnvelope, type SkippedMessage } from './envelope.js';
import { loadMessages } from './messages.js';
import { type SpoolPaths, spoolsUnder } from './paths.js';
import {
  type RemoveResult,
  removeEntries,
  type StoreResult,
  storeMessages,
  type VerifyResult,
  verifySpools,
} from './phases.js';
import { assertSpoolsEmpty, type OpenSpools, openSpools } from './spools.js';

/** Which part of the round trip to run. */
export type Phase = 'all' | 'store' | 'verify';

/** Options for `runExample`. */
export interface ExampleOptions {
  /** The KumoMTA policy that defines `data` and `meta`. */
  policyPath: string;
  /** The directory of `.eml` files to spool. */
  messagesDir: string;
  /**
   * The folder the policy puts its spools under (`SPOOL_ROOT`). It is
   * created when missing.
   * @default a new temporary directory, deleted at the end unless `keep`
   */
  spoolRoot?: string;
  /**
   * Size in bytes of the generated attachment of the large message; 0
   * leaves the message out. Only the store phase reads it, because
   * verification takes the size from the message's meta entry.
   * @default 0
   */
  largeMessageBytes?: number;
  /**
   * `store` spools the messages and leaves them; `verify` reopens spools a
   * `store` run left, verifies and removes them; `all` does both.
   * @default 'all'
   */
  phase?: Phase;
  /** Leave the entries in the spools and the spool root in place. @default false */
  keep?: boolean;
  /**
   * Called with the temporary spool root right after the run creates it
   * (only when `spoolRoot` is not given), so that a caller can delete it
   * if the process is interrupted.
   */
  onTemporaryRoot?: (root: string) => void;
  /**
   * Called with the absolute `data` and `meta` directories as soon as the
   * spools are open, before anything is stored in them.
   */
  onSpoolPaths?: (paths: SpoolPaths) => void;
  logger: SpoolLogger;
}

/** The results of one run; `ok` is false when a body was wrong or missing. */
export interface ExampleSummary {
  policyPath: string;
  /** The folder of source messages the run read. */
  messagesDir: string;
  spoolRoot: string;
  /** The directories of the `data` and `meta` spools, once they were opened. */
  spoolPaths?: SpoolPaths;
  messages: number;
  /** Messages without a sender or recipient; reported, not spooled or expected. */
  skipped: SkippedMessage[];
  store: StoreResult | undefined;
  verify: VerifyResult | undefined;
  remove: RemoveResult | undefined;
  totalMs: number;
  ok: boolean;
  /**
   * True when verification failed and found entries, so the entries and
   * the spool root were left in place although `keep` was off.
   */
  keptForInspection: boolean;
  /**
   * Set when the list showed an earlier verify run that passed and was
   * interrupted while removing: this run finished that removal instead of
   * verifying again.
   */
  resumedRemoval?: boolean;
  /** Set when verify found no acknowledged.jsonl, so it could not pick out its own entries in an outside spool. */
  withoutList?: boolean;
}

/**
 * Spools the messages in, closes the spools, reopens them from the policy
 * as a restarted server would, verifies every body, and removes
 * everything unless verification failed. Rejects when a policy, spool or
 * file operation fails; damaged meta entries and messages without a sender
 * or recipient are reported in the summary instead.
 */
export async function runExample(
  options: ExampleOptions,
): Promise<ExampleSummary> {
  const started = performance.now();
  const phase = options.phase ?? 'all';
  if (phase !== 'all' && options.spoolRoot === undefined) {
    throw new Error(
      `--phase ${phase} needs --spool-root, so that the store and verify runs share their spools`,
    );
  }
  const loaded = await loadMessages({
    directory: options.messagesDir,
    // A verify run rebuilds the generated message from its meta entry.
    largeMessageBytes:
      phase === 'verify' ? 0 : (options.largeMessageBytes ?? 0),
    allowEmpty: phase === 'verify',
  });
  const { valid: messages, skipped } = partitionByEnvelope(loaded);
  for (const message of skipped) {
    options.logger.warn(message, 'skipped a message without an envelope');
  }
  if (phase === 'verify') {
    await assertStoredBefore(options.spoolRoot as string);
  }
  const spoolRoot = await prepareSpoolRoot(options.spoolRoot);
  if (options.spoolRoot === undefined) {
    options.onTemporaryRoot?.(spoolRoot);
  }
  const summary: ExampleSummary = {
    policyPath: options.policyPath,
    messagesDir: options.messagesDir,
    spoolRoot,
    messages: messages.length,
    skipped,
    store: undefined,
    verify: undefined,
    remove: undefined,
    totalMs: 0,
    ok: true,
    keptForInspection: false,
  };
  const spoolOptions = {
    policyPath: options.policyPath,
    spoolRoot,
    logger: options.logger,
  };

  try {
    if (phase !== 'verify') {
      const spools = await openSpools(spoolOptions);
      summary.spoolPaths = spoolPathsOf(spools);
      options.onSpoolPaths?.(summary.spoolPaths);
      try {
        await assertSpoolsEmpty(spools);
        await startAcknowledged(spoolRoot);
        summary.store = await storeMessages(spools, messages, options.logger, {
          begin: (id, name) => recordStarted(spoolRoot, id, name),
          acknowledge: (id, name) => recordAcknowledged(spoolRoot, id, name),
        });
      } finally {
        await spools.registry.closeAll();
      }
      options.logger.info(
        { count: messages.length },
        'stored messages and closed the spools',
      );
    }

    if (phase !== 'store') {
      const spools = await openSpools({
        ...spoolOptions,
        requireExisting: phase === 'verify',
      });
      const paths = spoolPathsOf(spools);
      summary.spoolPaths = paths;
      options.onSpoolPaths?.(paths);
      try {
        const ledger = await readAcknowledged(spoolRoot);
        summary.withoutList = ledger === undefined;
        // Spools outside the root may hold mail this run never wrote,
        // such as a live server's: remove only what it began to store.
        const ownSpools = spoolsUnder(paths, spoolRoot);
        const removeOurs = (ids: SpoolId[]) =>
          removeEntries(
            spools,
            ownSpools ? ids : parseIds(ledger?.started ?? []),
            ownSpools,
          );
        if (ledger?.removing) {
          // An earlier verify run passed and was interrupted while removing,
          // so part of what it verified is gone: finish its removal.
          summary.resumedRemoval = true;
          if (!options.keep) {
            summary.remove = await removeOurs(parseIds(ledger.started));
            await removeAcknowledged(spoolRoot);
          }
        } else {
          const verify = await verifySpools(
            spools,
            messages,
            options.logger,
            ledger,
          );
          summary.verify = verify;
          summary.ok =
            verify.mismatched.length === 0 &&
            verify.missingData.length === 0 &&
            verify.missingMessages.length === 0;
          // A failed verification keeps its entries so that it can be rerun
          // or inspected, when it found any.
          summary.keptForInspection =
            !summary.ok && !options.keep && verify.ids.length > 0;
          if (summary.ok && !options.keep) {
            await recordRemoving(spoolRoot);
            summary.remove = await removeOurs(verify.ids);
            await removeAcknowledged(spoolRoot);
          }
        }
      } finally {
        await spools.registry.closeAll();
      }
    }
  } finally {
    const keepRoot = options.keep || summary.keptForInspection;
    if (options.spoolRoot === undefined && !keepRoot) {
      await rm(spoolRoot, { recursive: true, force: true });
    }
  }

  summary.totalMs = performance.now() - started;
  return summary;
}

async function prepareSpoolRoot(
  spoolRoot: string | undefined,
): Promise<string> {
  if (spoolRoot === undefined) {
    // Synchronous, so that a signal handled right after cannot find the
    // folder created but not yet reported through onTemporaryRoot.
    return mkdtempSync(path.join(os.tmpdir(), 'spoolkit-example-'));
  }
  try {
    await makeDirectories(spoolRoot);
  } catch (error) {
    throw new Error(
      `--spool-root ${spoolRoot} ${describeMkdirError(error)}; pass a directory path, or omit --spool-root to use a new temporary directory`,
      { cause: error },
    );
  }
  return spoolRoot;
}

/**
 * Rejects a verify run whose spool root does not exist or is empty, which
 * would otherwise create empty spools there and report every message
 * missing.
 */
async function assertStoredBefore(spoolRoot: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(spoolRoot);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') {
      return; // prepareSpoolRoot reports other failures.
    }
    throw new Error(
      `--spool-root ${spoolRoot} does not exist, so there is nothing to verify; run --phase store with the same --spool-root first`,
      { cause: error },
    );
  }
  if (names.length === 0) {
    throw new Error(
      `--spool-root ${spoolRoot} is empty, so there is nothing to verify; run --phase store with the same --spool-root first`,
    );
  }
}

function describeMkdirError(error: unknown): string {
  const code = errnoCode(error);
  if (code === 'EEXIST') {
    return 'exists but is not a directory';
  }
  if (code === 'ENOTDIR') {
    return 'lies under a file, not a directory';
  }
  if (code === 'EROFS') {
    return 'lies on a file system mounted read-only (EROFS); remount it read-write';
  }
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return `could not be created: its file system has no free space or no free inodes left (${code}); free some on it`;
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return `could not be created: this user (uid ${process.getuid?.() ?? 'unknown'}) may not write to its parent (${code}); fix the parent's permissions`;
  }
  if (code === 'ENOENT') {
    return 'could not be created: a folder on its path takes no new folders (ENOENT, as under /proc) or is a symbolic link to a missing target';
  }
  return `could not be created (${code ?? (error as Error).message})`;
}

/** Returns the absolute directories of the open `data` and `meta` spools. */
function spoolPathsOf(spools: OpenSpools): SpoolPaths {
  return {
    data: path.resolve(spools.data.path),
    meta: path.resolve(spools.meta.path),
  };
}

/** Parses the ids the store phase recorded, skipping any a hand edit spoiled. */
function parseIds(texts: Iterable<string>): SpoolId[] {
  const ids: SpoolId[] = [];
  for (const text of texts) {
    try {
      ids.push(SpoolId.parse(text));
    } catch {
      // Not an id, so no entry of this run is stored under it.
    }
  }
  return ids;
}
