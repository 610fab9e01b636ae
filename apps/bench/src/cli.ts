import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { Command } from 'commander';
import { assertScratchDirectory, assertWritable } from './directories.js';
import { describeMachine, scratchNotes } from './machine.js';
import {
  countUpTo,
  listOf,
  MAX_CONCURRENCY,
  MAX_ENTRIES,
  MAX_ROUNDS,
  MIN_TURN_SECONDS,
  parseDirectory,
  parseKind,
  parseSeconds,
  parseSections,
  parseSize,
  parseSlices,
  SECTIONS,
  SECTIONS_USING,
  type Section,
  type ShapingOption,
} from './options.js';
import { renderMarkdown } from './report/markdown.js';
import { baselineRatios, checkTargets } from './report/targets.js';
import type { BenchReport } from './report/types.js';
import { removeScratchOnSignal, setScratchRoot } from './scratch.js';
import { benchEnumeration } from './sections/enumeration.js';
import { benchLifecycle } from './sections/lifecycle.js';
import { benchOperations } from './sections/operations.js';
import { benchPolicy, POLICY_FIXTURE } from './sections/policy.js';
import {
  BACKEND_KINDS,
  type BackendKind,
  type BenchSelection,
  EVERY_CONFIGURATION,
  FULL,
  SMOKE,
} from './settings.js';

/**
 * The folder where the user started npm, for resolving relative paths:
 * npm runs a script in its package's folder. The root scripts call node
 * directly, since a nested `npm run` would set `INIT_CWD` to the root.
 */
const USER_CWD = process.env.INIT_CWD ?? process.cwd();

const options = new Command()
  .name('spoolkit-bench')
  .description(
    'Benchmarks the LocalDisk and RocksDB backends against raw fs and the raw rocksdb binding, the message lifecycle, enumeration of a large spool and policy evaluation; writes bench.md and bench.json.',
  )
  .option(
    '--smoke',
    'run a tiny version of every section, to check that the benchmark works',
    false,
  )
  .option(
    '--out <dir>',
    'directory for bench.md and bench.json, created when missing',
    parseDirectory,
    'bench-results',
  )
  .option(
    '--scratch <dir>',
    'existing directory under which the spools are written',
    parseDirectory,
    os.tmpdir(),
  )
  .option(
    '--sections <list>',
    `comma-separated sections to run: ${SECTIONS.join(',')}`,
    parseSections,
    [...SECTIONS],
  )
  .option(
    '--entries <count>',
    `entries in the large enumeration of each kind, up to ${MAX_ENTRIES} (default: 1000000, smoke: 10000)`,
    countUpTo(MAX_ENTRIES),
  )
  .option(
    '--localdisk-entries <count>',
    'entries in the large LocalDisk enumeration, when it should differ from --entries',
    countUpTo(MAX_ENTRIES),
  )
  .option(
    '--kinds <list>',
    `backend kinds for operations and lifecycle: ${BACKEND_KINDS.join(',')}`,
    listOf(parseKind),
  )
  .option(
    '--value-sizes <list>',
    'value sizes for operations and lifecycle, in bytes or KiB (default: 1k,16k,256k)',
    listOf(parseSize),
  )
  .option(
    '--concurrency <list>',
    `calls in flight for operations and lifecycle, up to ${MAX_CONCURRENCY} (default: 1,64)`,
    listOf(countUpTo(MAX_CONCURRENCY)),
  )
  .option(
    '--rounds <count>',
    `rounds of each operation and lifecycle configuration, up to ${MAX_ROUNDS} (default: 5, smoke: 1)`,
    countUpTo(MAX_ROUNDS),
  )
  .option(
    '--slices <count>',
    'turns, 1 to 100, that the backend and its baseline take at each operation of a round (default: 8, smoke: 2)',
    parseSlices,
  )
  .option(
    '--control',
    'run the raw baseline in place of each backend in the operations section, to see how far two identical targets differ on this machine',
    false,
  )
  .option(
    '--seconds <seconds>',
    'length of each operation and lifecycle run, 0.001 to 600 (default: 1, smoke: 0.03)',
    parseSeconds,
  )
  // A usage error exits 2, as an unwritable --out does; 1 means a section failed.
  .exitOverride((error) => {
    process.exit(error.exitCode === 0 ? 0 : 2);
  })
  .parse()
  .opts<{
    smoke: boolean;
    out: string;
    scratch: string;
    sections: Section[];
    entries?: number;
    localdiskEntries?: number;
    kinds?: BackendKind[];
    valueSizes?: number[];
    concurrency?: number[];
    rounds?: number;
    slices?: number;
    seconds?: number;
    control: boolean;
  }>();

const progress = (message: string): void => {
  process.stderr.write(
    `[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`,
  );
};

const preset = options.smoke ? SMOKE : FULL;
const entries = options.entries;
const settings = {
  ...preset,
  rounds: options.rounds ?? preset.rounds,
  slices: options.slices ?? preset.slices,
  operationSeconds: options.seconds ?? preset.operationSeconds,
  enumerationEntries: {
    LocalDisk:
      options.localdiskEntries ??
      entries ??
      preset.enumerationEntries.LocalDisk,
    RocksDB: entries ?? preset.enumerationEntries.RocksDB,
  },
};
const selection: BenchSelection = {
  kinds: options.kinds ?? EVERY_CONFIGURATION.kinds,
  valueSizes: options.valueSizes ?? EVERY_CONFIGURATION.valueSizes,
  concurrencies: options.concurrency ?? EVERY_CONFIGURATION.concurrencies,
  control: options.control,
};
const narrowingSections = options.sections.length < SECTIONS.length;
if (
  options.control &&
  (options.sections.length !== 1 || options.sections[0] !== 'operations')
) {
  // The other sections would run the backends, and their numbers would carry the control label.
  process.stderr.write(
    `error: --control applies to the operations section only; add --sections operations (${narrowingSections ? `got --sections ${options.sections.join(',')}` : 'every section was selected'})\n`,
  );
  process.exit(2);
}
/** For each option that shapes a section's work, whether it was given. */
const givenOptions: Record<ShapingOption, boolean> = {
  '--kinds': options.kinds !== undefined,
  '--value-sizes': options.valueSizes !== undefined,
  '--concurrency': options.concurrency !== undefined,
  '--rounds': options.rounds !== undefined,
  '--slices': options.slices !== undefined,
  '--seconds': options.seconds !== undefined,
  '--entries': options.entries !== undefined,
  '--localdisk-entries': options.localdiskEntries !== undefined,
};

// An option no selected section reads would change nothing, yet the report would list it as narrowing the run.
for (const [option, given] of Object.entries(givenOptions)) {
  const using: readonly Section[] = SECTIONS_USING[option as ShapingOption];
  if (given && !using.some((section) => options.sections.includes(section))) {
    process.stderr.write(
      `error: ${option} applies only to the ${using.join(' and ')} section${using.length > 1 ? 's' : ''}, which --sections ${options.sections.join(',')} leaves out; drop ${option} or add ${using.join(' or ')} to --sections\n`,
    );
    process.exit(2);
  }
}
const turnSeconds = settings.operationSeconds / settings.slices;
if (options.sections.includes('operations') && turnSeconds < MIN_TURN_SECONDS) {
  const defaults = options.smoke ? 'smoke' : 'full';
  const seconds = `--seconds ${settings.operationSeconds}${options.seconds === undefined ? ` (the ${defaults} default)` : ''}`;
  const slices = `${settings.slices} turns${options.slices === undefined ? ` (the ${defaults} default)` : ''}`;
  process.stderr.write(
    `error: ${seconds} split into ${slices} gives turns of ${(turnSeconds * 1000).toPrecision(2)} ms, shorter than ${MIN_TURN_SECONDS * 1000} ms; give fewer --slices or more --seconds\n`,
  );
  process.exit(2);
}
const scratch = path.resolve(USER_CWD, options.scratch);
await assertScratchDirectory(scratch);
const outDir = path.resolve(USER_CWD, options.out);
await assertWritable(outDir);
setScratchRoot(scratch);
removeScratchOnSignal(progress);

const narrowingOptions = {
  '--sections': options.sections.length < SECTIONS.length,
  ...givenOptions,
};

const started = performance.now();
const report: BenchReport = {
  mode: options.smoke ? 'smoke' : 'full',
  control: options.control,
  slices: settings.slices,
  narrowedBy: Object.entries(narrowingOptions)
    .filter(([, given]) => given)
    .map(([flag]) => flag),
  startedAt: new Date().toISOString(),
  seconds: 0,
  machine: await describeMachine(scratch),
  targets: [],
  ratios: [],
  errors: [],
};
const runsLocalDisk =
  selection.kinds.includes('LocalDisk') &&
  (options.sections.includes('operations') ||
    options.sections.includes('lifecycle'));
for (const note of scratchNotes(report.machine.disk, scratch, {
  // The enumeration fills a LocalDisk spool whatever --kinds selects.
  createsFiles: runsLocalDisk || options.sections.includes('enumeration'),
  syncs: options.sections.includes('operations'),
})) {
  progress(`note: ${note}`);
}

async function runSection(
  section: Section,
  work: () => Promise<void>,
): Promise<void> {
  if (!options.sections.includes(section)) {
    return;
  }
  progress(`${section}: starting`);
  try {
    await work();
  } catch (error) {
    progress(`${section}: failed: ${inspect(error)}`);
    report.errors.push({ section, message: (error as Error).message });
  }
}

// Policy evaluation goes first, so that its cold run is the first use of the Lua VM.
await runSection('policy', async () => {
  const lines = (await readFile(POLICY_FIXTURE, 'utf8'))
    .trimEnd()
    .split('\n').length;
  report.policy = await benchPolicy(settings, lines);
});
// These sections fill the report's arrays as they measure, so a failure
// keeps the rows measured before it.
await runSection('operations', async () => {
  report.operations = [];
  await benchOperations(settings, selection, progress, report.operations);
});
await runSection('lifecycle', async () => {
  report.lifecycle = [];
  await benchLifecycle(settings, selection, progress, report.lifecycle);
});
await runSection('enumeration', async () => {
  report.enumeration = [];
  await benchEnumeration(settings, progress, report.enumeration);
});

report.seconds = (performance.now() - started) / 1000;
report.targets = checkTargets(report);
report.ratios = baselineRatios(report);
const markdown = renderMarkdown(report);
// The table goes to stdout first, so that a failed write loses no results.
process.stdout.write(markdown);
try {
  await writeFile(
    path.join(outDir, 'bench.json'),
    `${JSON.stringify(report, null, 2)}\n`,
  );
  await writeFile(path.join(outDir, 'bench.md'), markdown);
  progress(`wrote ${path.join(outDir, 'bench.md')} and bench.json`);
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code ?? String(error);
  const fallback = path.join(
    await mkdtemp(path.join(os.tmpdir(), 'spoolkit-bench-')),
    'bench.json',
  );
  await writeFile(fallback, `${JSON.stringify(report, null, 2)}\n`);
  process.stderr.write(
    `error: cannot write the results to --out ${outDir} (${code}); the table is on stdout above and bench.json is at ${fallback}\n`,
  );
  process.exitCode = 2;
}
process.exitCode ??= report.errors.length === 0 ? 0 : 1;
