import { appendFile, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode } from '@spoolkit/core';

/**
 * The file in the spool root that records a store phase, one JSON line
 * per event: `{"id","name","started":true}` before a message's body is
 * stored, and `{"id","name"}` once its body and envelope are both stored,
 * where a server would reply 250. A verify run that passed appends
 * `{"removing":true}` before it removes them. A verify run expects exactly the
 * acknowledged messages, so a store phase cut short is not taken for lost
 * data, and it can tell the example's own entries from other programs'.
 */
const FILE_NAME = 'acknowledged.jsonl';

/** The records of the last store phase, as read from the file. */
export interface StoreLedger {
  /** The acknowledged messages, from id to message name. */
  acknowledged: Map<string, string>;
  /** Every id the store phase began to store, acknowledged or not. */
  started: Set<string>;
  /** Whether a verify run passed and began removing these entries. */
  removing: boolean;
}

/**
 * Starts an empty list, replacing one an earlier store phase left: the
 * store phase runs only on empty spools, so an older list names nothing
 * in them.
 */
export async function startAcknowledged(spoolRoot: string): Promise<void> {
  await writeFile(path.join(spoolRoot, FILE_NAME), '');
}

/** Records that the store phase is about to store the message under `id`. */
export async function recordStarted(
  spoolRoot: string,
  id: string,
  name: string,
): Promise<void> {
  await appendLine(spoolRoot, { id, name, started: true });
}

/** Adds one acknowledged message to the list. */
export async function recordAcknowledged(
  spoolRoot: string,
  id: string,
  name: string,
): Promise<void> {
  await appendLine(spoolRoot, { id, name });
}

/**
 * Reads the list. Resolves to `undefined` when there is none (spools no
 * store phase of this example wrote). A line cut short by a kill is
 * skipped.
 */
export async function readAcknowledged(
  spoolRoot: string,
): Promise<StoreLedger | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(spoolRoot, FILE_NAME), 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') {
      return undefined;
    }
    throw error;
  }
  const ledger: StoreLedger = {
    acknowledged: new Map(),
    started: new Set(),
    removing: false,
  };
  for (const line of text.split('\n')) {
    let record: {
      id?: unknown;
      name?: unknown;
      started?: unknown;
      removing?: unknown;
    };
    try {
      record = JSON.parse(line);
    } catch {
      // An empty line, or the last one cut short by a kill.
      continue;
    }
    if (record.removing === true) {
      ledger.removing = true;
      continue;
    }
    const { id, name, started } = record;
    if (typeof id !== 'string' || typeof name !== 'string') {
      continue;
    }
    ledger.started.add(id);
    if (started !== true) {
      ledger.acknowledged.set(id, name);
    }
  }
  return ledger;
}

/**
 * Records that a verify run passed and begins removing the entries, so
 * that a run interrupted in the middle is finished, not verified again
 * against entries that are partly gone.
 */
export async function recordRemoving(spoolRoot: string): Promise<void> {
  await appendLine(spoolRoot, { removing: true });
}

/** Deletes the list, once every entry it names has been removed. */
export async function removeAcknowledged(spoolRoot: string): Promise<void> {
  await rm(path.join(spoolRoot, FILE_NAME), { force: true });
}

async function appendLine(spoolRoot: string, record: object): Promise<void> {
  await appendFile(
    path.join(spoolRoot, FILE_NAME),
    `${JSON.stringify(record)}\n`,
  );
}
