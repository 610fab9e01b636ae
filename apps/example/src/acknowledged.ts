import { appendFile, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode } from '@spoolkit/core';

/**
 * The file in the spool root that lists the messages a store phase
 * acknowledged: one JSON line `{"id","name"}` per message, written once
 * its body and envelope are both stored, where a server would reply 250.
 * A verify run expects exactly these messages, so a store phase cut short
 * is not taken for lost data.
 */
const FILE_NAME = 'acknowledged.jsonl';

/** Creates the list if it does not exist, so that a store phase killed before its first message leaves an empty one. */
export async function startAcknowledged(spoolRoot: string): Promise<void> {
  await appendFile(path.join(spoolRoot, FILE_NAME), '');
}

/** Adds one acknowledged message to the list. */
export async function recordAcknowledged(
  spoolRoot: string,
  id: string,
  name: string,
): Promise<void> {
  await appendFile(
    path.join(spoolRoot, FILE_NAME),
    `${JSON.stringify({ id, name })}\n`,
  );
}

/**
 * Reads the list as a map from id to message name. Resolves to
 * `undefined` when there is none (spools no store phase of this example
 * wrote). A line cut short by a kill is skipped.
 */
export async function readAcknowledged(
  spoolRoot: string,
): Promise<Map<string, string> | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(spoolRoot, FILE_NAME), 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') {
      return undefined;
    }
    throw error;
  }
  const acknowledged = new Map<string, string>();
  for (const line of text.split('\n')) {
    try {
      const { id, name } = JSON.parse(line) as { id: unknown; name: unknown };
      if (typeof id === 'string' && typeof name === 'string') {
        acknowledged.set(id, name);
      }
    } catch {
      // An empty line, or the last one cut short by a kill.
    }
  }
  return acknowledged;
}

/** Deletes the list, once every entry it names has been removed. */
export async function removeAcknowledged(spoolRoot: string): Promise<void> {
  await rm(path.join(spoolRoot, FILE_NAME), { force: true });
}
