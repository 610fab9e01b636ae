import type { MachineInfo } from '../machine.js';
import type { RunStats } from '../measure.js';
import type { EnumerationRow } from '../sections/enumeration.js';
import type { LifecycleRow } from '../sections/lifecycle.js';
import type { PolicyResult } from '../sections/policy.js';
import {
  count,
  formatRatio,
  type LifecyclePair,
  MIN_BASELINE_RATIO,
  type OperationPair,
  pairLifecycle,
  pairOperations,
  type TargetCheck,
} from './targets.js';
import type { BenchReport } from './types.js';

const MiB = 1024 * 1024;
/** The text of a section that failed before its first configuration finished. */
const NOTHING_FINISHED =
  'No configuration finished before the section failed (see "Sections that failed").';
const REMOVE_NOTE = 'listing the leaf directories, 64 removes in flight';

/** Renders a table with every column padded to its widest cell, so it reads well as plain text too. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, column) =>
    Math.max(3, title.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const line = (cells: string[]): string =>
    `| ${widths.map((width, column) => (cells[column] ?? '').padEnd(width)).join(' | ')} |`;
  return [
    line(header),
    line(widths.map((width) => '-'.repeat(width))),
    ...rows.map(line),
  ];
}

/** Formats a value size in the largest binary unit that divides it: `512 B`, `16 KiB`, `64 MiB`. */
export function size(bytes: number): string {
  if (bytes >= MiB && bytes % MiB === 0) {
    return `${bytes / MiB} MiB`;
  }
  return bytes >= 1024 && bytes % 1024 === 0
    ? `${bytes / 1024} KiB`
    : `${bytes} B`;
}

function rate(stats: RunStats): string {
  return Math.round(stats.perSecond).toLocaleString('en-US');
}

function delay(stats: RunStats): string {
  return `${stats.eventLoop.maxMs.toFixed(1)} / ${stats.eventLoop.p99Ms.toFixed(1)}`;
}

function fullGcs(stats: RunStats): string {
  return stats.fullGcPerSecond.toFixed(1);
}

/** Returns a table's result cell: `controlText` on a control run's rows, otherwise `met` or `**not met**`. */
function resultCell(
  met: boolean,
  control: boolean | undefined,
  controlText: string,
): string {
  if (control === true) {
    return controlText;
  }
  return met ? 'met' : '**not met**';
}

function targetsSection(checks: readonly TargetCheck[]): string[] {
  if (checks.length === 0) {
    return [
      'No target could be checked: the sections that decide them failed before measuring anything, or did not run.',
    ];
  }
  return table(
    ['target', 'measured', 'result'],
    checks.map((check) => [
      check.target,
      check.measured,
      resultCell(check.met, check.control, 'control (no target)'),
    ]),
  );
}

function operationsSection(pairs: readonly OperationPair[]): string[] {
  return table(
    [
      'backend',
      'operation',
      'value',
      'sync',
      'concurrency',
      'backend ops/s',
      'baseline ops/s',
      'ratio (median)',
      'ratio best / worst',
      'p99 µs (backend / baseline)',
      'CPU µs/op (backend / baseline)',
      'full GCs/s (backend / baseline)',
      'loop delay max / p99 ms (backend)',
      `>= ${MIN_BASELINE_RATIO}x`,
    ],
    pairs.map(({ backend, baseline, ratio, bestRatio, worstRatio }) => [
      backend.control === true ? `${backend.kind} (control)` : backend.kind,
      backend.operation,
      size(backend.valueBytes),
      backend.sync ? 'on' : 'off',
      String(backend.concurrency),
      rate(backend.stats),
      rate(baseline.stats),
      formatRatio(ratio),
      `${formatRatio(bestRatio)} / ${formatRatio(worstRatio)}`,
      backend.operation === 'enumerate'
        ? '–'
        : `${Math.round(backend.stats.latencyUs.p99)} / ${Math.round(baseline.stats.latencyUs.p99)}`,
      `${backend.stats.cpuUsPerOperation.toFixed(1)} / ${baseline.stats.cpuUsPerOperation.toFixed(1)}`,
      `${fullGcs(backend.stats)} / ${fullGcs(baseline.stats)}`,
      delay(backend.stats),
      resultCell(ratio >= MIN_BASELINE_RATIO, backend.control, 'control'),
    ]),
  );
}

function lifecycleSection(rows: readonly LifecycleRow[]): string[] {
  return table(
    [
      'kind',
      'run by',
      'value',
      'concurrency',
      'messages/s',
      'p99 ms per message',
      'CPU µs per message',
      'full GCs/s',
      'loop delay max / p99 ms',
      'messages/s of each round',
    ],
    rows.map((row) => [
      row.kind,
      row.runBy,
      size(row.valueBytes),
      String(row.concurrency),
      rate(row.stats),
      (row.stats.latencyUs.p99 / 1000).toFixed(2),
      row.stats.cpuUsPerOperation.toFixed(0),
      fullGcs(row.stats),
      delay(row.stats),
      row.roundsPerSecond.map((perSecond) => Math.round(perSecond)).join(', '),
    ]),
  );
}

/** Renders each backend's lifecycle as a fraction of its raw baseline's, round by round. */
function lifecycleBaselineSection(pairs: readonly LifecyclePair[]): string[] {
  return table(
    [
      'kind',
      'value',
      'concurrency',
      'backend messages/s',
      'baseline messages/s',
      'ratio (median)',
      'ratio best / worst',
    ],
    pairs.map(({ backend, baseline, ratio, bestRatio, worstRatio }) => [
      backend.kind,
      size(backend.valueBytes),
      String(backend.concurrency),
      rate(backend.stats),
      rate(baseline.stats),
      formatRatio(ratio),
      `${formatRatio(bestRatio)} / ${formatRatio(worstRatio)}`,
    ]),
  );
}

function enumerationSection(rows: readonly EnumerationRow[]): string[] {
  return table(
    [
      'kind',
      'walked by',
      'entries',
      'entries/s',
      'seconds',
      'CPU µs per entry',
      'RSS growth MiB',
      'heap + external growth MiB',
      'peak RSS MiB',
      'full GCs/s',
      'loop delay max / p99 ms',
    ],
    rows.map((row) => [
      row.kind,
      row.target,
      row.entries.toLocaleString('en-US'),
      rate(row.stats),
      row.stats.seconds.toFixed(1),
      row.stats.cpuUsPerOperation.toFixed(1),
      (row.rssGrowthBytes / MiB).toFixed(1),
      (row.heapGrowthBytes / MiB).toFixed(1),
      (row.peakRssBytes / MiB).toFixed(0),
      fullGcs(row.stats),
      delay(row.stats),
    ]),
  );
}

function layoutSection(rows: readonly EnumerationRow[]): string[] {
  const measured = rows.filter((row) => row.layout !== undefined);
  if (measured.length === 0) {
    return [];
  }
  return [
    '',
    `LocalDisk directories under \`data/\`, full and after removing every entry through the backend (${REMOVE_NOTE}) and one \`cleanup()\`. \`data/\` itself is not counted.`,
    '',
    ...table(
      [
        'entries',
        'directories',
        'max entries in a leaf directory',
        'remove all s',
        'cleanup() s',
        'directories after cleanup()',
      ],
      measured.map(({ entries, layout }) => [
        entries.toLocaleString('en-US'),
        layout?.full.directories.toLocaleString('en-US') ?? '–',
        String(layout?.full.maxLeafEntries ?? '–'),
        layout?.removeSeconds.toFixed(1) ?? '–',
        layout?.cleanupSeconds.toFixed(1) ?? '–',
        layout?.afterCleanup.directories.toLocaleString('en-US') ?? '–',
      ]),
    ),
  ];
}

function policySection(policy: PolicyResult): string[] {
  return table(
    [
      'policy lines',
      'cold ms',
      'warm median ms',
      'warm p99 ms',
      'warm max ms',
      'warm runs',
      'spools defined',
    ],
    [
      [
        String(policy.lines),
        policy.coldMs.toFixed(1),
        policy.warmMedianMs.toFixed(2),
        policy.warmP99Ms.toFixed(2),
        policy.warmMaxMs.toFixed(2),
        String(policy.warmRuns),
        String(policy.spools),
      ],
    ],
  );
}

function journalNote(journal: boolean | undefined): string {
  if (journal === undefined) {
    return '';
  }
  return journal ? ' with a journal' : ' without a journal';
}

export function machineLine(machine: MachineInfo): string {
  const disk = machine.disk;
  return `${machine.cpus} CPUs (${machine.cpuModel}), ${(machine.memoryBytes / 1024 ** 3).toFixed(1)} GiB RAM, Node ${machine.node} on ${machine.platform} (kernel ${machine.kernel}); scratch on ${disk.fsType}${journalNote(disk.journal)} (${disk.device}, ${formatDiskSize(disk.sizeBytes)}, ${formatDiskSize(disk.freeBytes)} free); load average at start ${machine.loadAverage.join(' / ')}`;
}

/** Lists the raw baselines among the lifecycle rows, such as `raw fs, raw rocksdb`. */
function baselineNames(
  rows: readonly { runBy: string; baseline: boolean }[],
): string {
  const names = new Set(
    rows.filter((row) => row.baseline).map((row) => row.runBy),
  );
  return [...names].join(', ');
}

/** Describes how the sides of the lifecycle rows (each kind's backend and baseline) shared each round. */
function lifecycleOrder(rows: readonly { runBy: string }[]): string {
  const sides = [...new Set(rows.map((row) => row.runBy))];
  const last = sides.pop();
  const listed = sides.length === 0 ? last : `${sides.join(', ')} and ${last}`;
  return `, ${listed} back to back in each, the order reversing every round`;
}

/** Formats a disk size in whole GiB, or in MiB below 10 GiB, where whole GiB would read as 0 for a small tmpfs. */
export function formatDiskSize(bytes: number): string {
  return bytes >= 10 * 1024 ** 3
    ? `${(bytes / 1024 ** 3).toFixed(0)} GiB`
    : `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
}

/** Describes how the backend and its baseline shared each round, for `slices` turns each. */
function turnsSentence(slices: number): string {
  const shared =
    'with the backend and the baseline open side by side in each. At every operation they took';
  if (slices <= 1) {
    return `${shared} one turn each, the side going first swapping every round.`;
  }
  return `${shared} ${count(slices, 'turn')} each, a turn lasting 1/${slices} of the run's time or one call, whichever is longer (for removes, covering 1/${slices} of the entries). The side going first swapped at every turn and every round, so that a slow stretch of the disk falls on both. Each pass of removes starts after sync(1) has written back the stored entries, and the untimed stores between passes take turns too.`;
}

/** Names the kind of run: `full`, `smoke`, or which options narrowed it, and whether it was a control run. */
function describeRun(report: BenchReport): string {
  const parts = report.mode === 'smoke' ? ['smoke'] : [];
  if (report.narrowedBy.length > 0) {
    parts.push(`narrowed by ${report.narrowedBy.join(' ')}`);
  }
  if (report.control) {
    parts.push('control: each raw baseline against itself');
  }
  return parts.length === 0 ? report.mode : parts.join(', ');
}

/** Renders the whole report as markdown. */
export function renderMarkdown(report: BenchReport): string {
  const lines = [
    `# spoolkit benchmark (${describeRun(report)})`,
    '',
    `Run ${report.startedAt}, took ${report.seconds.toFixed(report.seconds < 10 ? 1 : 0)} s. ${machineLine(report.machine)}.`,
    '',
    '## Targets',
    '',
    ...targetsSection(report.targets),
  ];
  if (report.errors.length > 0) {
    lines.push('', '## Sections that failed', '');
    for (const error of report.errors) {
      lines.push(`- ${error.section}: ${error.message}`);
    }
  }
  if (report.operations !== undefined && report.operations.length === 0) {
    lines.push(
      '',
      '## Operations against the raw baselines',
      '',
      NOTHING_FINISHED,
    );
  } else if (report.operations !== undefined) {
    lines.push(
      '',
      '## Operations against the raw baselines',
      '',
      ...(report.control
        ? [
            'Control run (`--control`): the backend columns are the raw baseline again, on a directory or database of its own, so each ratio compares two identical targets. How far the ratios stray from 1.00 is how far this machine alone moves a row.',
            '',
          ]
        : []),
      `Baselines: LocalDisk runs against plain \`fs\` on the same layout (temporary file, rename, read, unlink, directory walk). With sync, the baseline fdatasyncs the file and fsyncs its directory and the parents of new directories. RocksDB runs against the \`rocksdb\` binding called directly with the backend's default open options. Sync changes only stores, so load, remove and enumerate are measured with sync off. Each configuration ran ${count(report.operations[0]?.roundsPerSecond.length ?? 1, 'round')}, ${turnsSentence(report.slices)} The ratio is the median of the per-round ratios, with the best and worst round beside it; ratios are rounded down to two decimals, so 0.90 has met the 0.9 target. Rates, p99 and CPU are from each target's median round by throughput. CPU is the whole process's user plus system time per operation. Full GCs/s counts V8's mark-compact collections during the timed calls. In the bench's small heap, the memory of values read or copied brings them on, and their number follows how often the code allocates. A backend that allocates more per call than its baseline can then pay for collections the baseline mostly avoids (see docs/benchmarks.md).`,
      '',
      ...operationsSection(pairOperations(report.operations)),
    );
  }
  if (report.lifecycle !== undefined && report.lifecycle.length === 0) {
    lines.push('', '## Message lifecycle', '', NOTHING_FINISHED);
  } else if (report.lifecycle !== undefined) {
    const pairs = pairLifecycle(report.lifecycle);
    lines.push(
      '',
      '## Message lifecycle',
      '',
      `Per message: store body and envelope at once, load the envelope, remove both; sync off. Each kind runs it through its backend and through its raw baseline (${baselineNames(report.lifecycle)}), which does the same steps with the targets of the operations section. Each configuration ran ${count(report.lifecycle[0]?.roundsPerSecond.length ?? 1, 'round')}${lifecycleOrder(report.lifecycle)}. Each row is that side's median round by throughput; the rate of every round is beside it.`,
      '',
      ...lifecycleSection(report.lifecycle),
      ...(pairs.length === 0
        ? []
        : [
            '',
            'Each backend against its raw baseline, round by round: the ratio is the median of the per-round ratios of messages per second.',
            '',
            ...lifecycleBaselineSection(pairs),
          ]),
    );
  }
  if (report.enumeration !== undefined) {
    lines.push(
      '',
      '## Enumeration of a large spool',
      '',
      ...enumerationSection(report.enumeration),
      ...layoutSection(report.enumeration),
    );
  }
  if (report.policy !== undefined) {
    lines.push(
      '',
      '## Policy evaluation (config-lua)',
      '',
      ...policySection(report.policy),
    );
  }
  lines.push('');
  return lines.join('\n');
}
