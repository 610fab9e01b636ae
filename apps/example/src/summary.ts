import { isUnder, spoolsUnder } from './paths.js';
import type { RemoveResult } from './phases.js';
import type { ExampleSummary } from './run.js';
import { verifyCommand } from './verify-command.js';

/** Formats a byte count with a binary unit, such as `5.5 MiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Formats a count with its noun, singular only when the count is 1. */
export function plural(
  count: number,
  singular: string,
  pluralForm = `${singular}s`,
): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

function ms(value: number): string {
  return `${Math.round(value)} ms`;
}

/** The summary lines the CLI prints: one per phase, then the verdict. */
export function formatSummary(summary: ExampleSummary): string[] {
  const lines = [
    `policy:   ${summary.policyPath}`,
    `spools:   ${summary.spoolRoot}`,
  ];
  const paths = summary.spoolPaths;
  const outside = paths !== undefined && !spoolsUnder(paths, summary.spoolRoot);
  if (outside) {
    // A policy that ignores SPOOL_ROOT puts its spools elsewhere.
    const partly =
      isUnder(paths.data, summary.spoolRoot) ||
      isUnder(paths.meta, summary.spoolRoot);
    lines[1] = `spools:   ${summary.spoolRoot} (SPOOL_ROOT, ${partly ? 'holding only one of the spools' : 'unused by the policy'})`;
    lines.push(`data:     ${paths.data}`, `meta:     ${paths.meta}`);
  }
  const { store, verify, remove } = summary;
  for (const skipped of summary.skipped) {
    lines.push(`skipped:  ${skipped.name}: ${skipped.reason}`);
  }
  if (store !== undefined) {
    lines.push(
      `stored:   ${plural(store.ids.length, 'message')}, ${formatBytes(store.bytes)} in ${ms(store.ms)}`,
    );
  }
  if (verify !== undefined) {
    lines.push(
      `verified: ${verify.verified} of ${plural(verify.expected, 'message')}, ${formatBytes(verify.bytes)} in ${ms(verify.ms)}`,
    );
    if (verify.unsourced.length > 0) {
      lines.push(
        `unsourced: ${plural(verify.unsourced.length, 'message')} verified against ${verify.unsourced.length === 1 ? "its envelope's" : "their envelopes'"} SHA-256 only, since --messages has no file of that name; pass the store phase's --messages to compare with the sources`,
      );
    }
    lines.push(
      `problems: ${verify.damaged.length} damaged meta skipped, ${verify.mismatched.length} mismatched, ${verify.missingData.length} without body, ${plural(verify.missingMessages.length, 'message')} not found`,
    );
    for (const damaged of verify.damaged) {
      lines.push(
        `  damaged meta ${damaged.id ?? damaged.path ?? '?'}: ${damaged.reason}`,
      );
    }
    for (const id of verify.mismatched) {
      lines.push(`  mismatched body ${id}`);
    }
    for (const id of verify.missingData) {
      lines.push(`  no body for ${id}`);
    }
    if (verify.unacknowledged.length > 0) {
      lines.push(
        `unacknowledged: ${plural(verify.unacknowledged.length, 'message')} the store phase began but did not acknowledge before it stopped, not checked and not counted`,
      );
    }
    if (verify.foreign.length > 0) {
      lines.push(
        `foreign:  ${plural(verify.foreign.length, 'envelope')} in meta that the store phase did not write, not checked and not counted`,
      );
    }
    for (const name of verify.missingMessages) {
      lines.push(`  not found: ${name}`);
    }
  }
  if (summary.resumedRemoval) {
    lines.push(
      `resumed:  an earlier verify run passed and was interrupted while removing its entries; ${remove === undefined ? 'run without --keep to finish that removal' : 'this run finished the removal without verifying again'}`,
    );
  }
  if (remove !== undefined) {
    lines.push(...removeLines(remove, summary.withoutList === true));
  }
  if (summary.keptForInspection) {
    lines.push(keptLine(summary, outside));
  }
  lines.push(
    `total:    ${ms(summary.totalMs)}, ${summary.ok ? 'ok' : 'FAILED'}`,
  );
  return lines;
}

function removeLines(remove: RemoveResult, withoutList: boolean): string[] {
  const removed = `${plural(remove.removed, 'message')} by id (body and envelope, where present)`;
  const unreadable = remove.unreadable.map(
    (found) =>
      `left:     ${found}, which the spool cannot read as an entry; move it out by hand`,
  );
  if (remove.swept) {
    const swept = remove.remaining - remove.unreadable.length;
    return [
      `removed:  ${removed}, then ${plural(swept, 'more entry', 'more entries')} found after them, in ${ms(remove.ms)}`,
      ...unreadable,
    ];
  }
  const lines = [
    `removed:  ${removed}, only those the store phase began (a spool lies outside SPOOL_ROOT), in ${ms(remove.ms)}`,
  ];
  if (remove.remaining > 0) {
    const reason = withoutList
      ? "without acknowledged.jsonl this run cannot tell its own entries there from other programs'"
      : 'the store phase did not write them';
    lines.push(
      `left:     ${plural(remove.remaining, 'entry', 'entries')} in data and meta, left in place: ${reason}`,
    );
  }
  return lines;
}

/** Builds the line that names where a failed verification left its entries. */
function keptLine(summary: ExampleSummary, outside: boolean): string {
  const again = `${verifyCommand(summary)} checks them again`;
  if (outside && summary.spoolPaths !== undefined) {
    return `kept:     entries left in ${summary.spoolPaths.data} and ${summary.spoolPaths.meta} for inspection; ${again}, and removing them is up to you, since other programs may use those spools`;
  }
  return `kept:     entries left in ${summary.spoolRoot} for inspection; ${again}, and deleting that folder discards them`;
}
