import {
  access,
  constants,
  mkdtemp,
  readFile,
  stat,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { makeDirectories } from '@spoolkit/core';
import { Command, InvalidArgumentError } from 'commander';
import { describeMachine } from './machine.js';
import { renderMarkdown } from './report/markdown.js';
import { checkTargets } from './report/targets.js';
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

const SECTIONS = ['policy', 'operations', 'lifecycle', 'enumeration'] as const;
type Section = (typeof SECTIONS)[number];

/** npm runs workspace scripts in the workspace; resolve user paths where npm was started. */
const USER_CWD = process.env.INIT_CWD ?? process.cwd();

/**
 * Parses a whole number written in decimal digits, or returns `NaN`.
 * `Number()` alone would also take `1e2`, `0x10` and an empty string.
 */
function decimalInteger(value: string): number {
  return /^\d+$/.test(value) ? Number(value) : Number.NaN;
}

function parseCount(value: string): number {
  const parsed = decimalInteger(value);
  if (!Number.isSafeInteger(parsed) || parsed < 1) {
    throw new InvalidArgumentError(
      `"${value}" is not a count; expected a positive whole number in decimal digits`,
    );
  }
  return parsed;
}

/** The maximum turns per operation: at 100, a 1 s run gives each turn 10 ms. */
const MAX_SLICES = 100;

/** The shortest turn `--seconds` and `--slices` may ask for together, in seconds. */
const MIN_TURN_SECONDS = 0.001;

function parseSlices(value: string): number {
  const parsed = decimalInteger(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > MAX_SLICES) {
    throw new InvalidArgumentError(
      `expected a whole number of turns from 1 to ${MAX_SLICES}`,
    );
  }
  return parsed;
}

function parseSeconds(value: string): number {
  const parsed = /^(\d+\.?\d*|\.\d+)$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(parsed) || parsed <= 0) {
    throw new InvalidArgumentError(
      `"${value}" is not a length of time; expected a positive number of seconds in decimal, such as 1 or 0.5`,
    );
  }
  return parsed;
}

/**
 * Parses a comma-separated list, each item with `parseItem`, which throws
 * `InvalidArgumentError`. A value given twice appears once.
 */
function listOf<T>(parseItem: (item: string) => T): (value: string) => T[] {
  return (value) => [
    ...new Set(value.split(',').map((item) => parseItem(item.trim()))),
  ];
}

function parseKind(value: string): BackendKind {
  if (!(BACKEND_KINDS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(
      `unknown kind "${value}"; kinds are ${BACKEND_KINDS.join(', ')}`,
    );
  }
  return value as BackendKind;
}

/** The largest value size accepted, so a typo cannot ask for gigabytes per value. */
const MAX_VALUE_BYTES = 64 * 1024 * 1024;

/** Parses a size in bytes, or in KiB with a `k` or `KiB` suffix: `1024`, `16k`, `256KiB`. */
function parseSize(value: string): number {
  const match = /^(\d+)\s*(k|kib)?$/i.exec(value);
  const bytes = match === null ? NaN : Number(match[1]) * (match[2] ? 1024 : 1);
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw new InvalidArgumentError(
      `"${value}" is not a size; give bytes (1024) or KiB (16k, 256KiB)`,
    );
  }
  if (bytes > MAX_VALUE_BYTES) {
    throw new InvalidArgumentError(
      `"${value}" is larger than the largest value size the bench runs, ${MAX_VALUE_BYTES / 1024 / 1024} MiB`,
    );
  }
  return bytes;
}

function parseSections(value: string): Section[] {
  const names = value.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!(SECTIONS as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(
        `unknown section "${name}"; sections are ${SECTIONS.join(', ')}`,
      );
    }
  }
  return names as Section[];
}

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
    'directory for bench.md and bench.json',
    'bench-results',
  )
  .option(
    '--scratch <dir>',
    'directory under which the spools are written',
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
    'entries in the large enumeration of each kind (default: 1000000, smoke: 10000)',
    parseCount,
  )
  .option(
    '--localdisk-entries <count>',
    'entries in the large LocalDisk enumeration, when it should differ from --entries',
    parseCount,
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
    'calls in flight for operations and lifecycle (default: 1,64)',
    listOf(parseCount),
  )
  .option(
    '--rounds <count>',
    'rounds of each operation and lifecycle configuration (default: 5, smoke: 1)',
    parseCount,
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
    'length of each operation and lifecycle run (default: 1, smoke: 0.03)',
    parseSeconds,
  )
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

/**
 * Checks before the run that the results can be written to `directory`,
 * so that a long run does not end with nowhere to put them. Exits 2 if not.
 */
async function assertWritable(directory: string): Promise<void> {
  try {
    await makeDirectories(directory);
    await access(directory, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    process.stderr.write(
      `error: cannot write the results to --out ${directory} (${code}); choose a writable directory\n`,
    );
    process.exit(2);
  }
}

/**
 * Checks that `--scratch` names an existing directory, and exits 2 if not.
 * The bench does not create it, because a mistyped path would leave new
 * directories behind.
 */
async function assertScratchDirectory(directory: string): Promise<void> {
  let problem: string | undefined;
  try {
    if (!(await stat(directory)).isDirectory()) {
      problem = 'is not a directory';
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    problem = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`;
  }
  if (problem !== undefined) {
    process.stderr.write(
      `error: --scratch ${directory} ${problem}; create the directory first, or leave --scratch out to use ${os.tmpdir()}\n`,
    );
    process.exit(2);
  }
}

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
  process.exit(1);
}
/** For each option that shapes a section's work, whether it was given. */
const givenOptions = {
  '--kinds': options.kinds !== undefined,
  '--value-sizes': options.valueSizes !== undefined,
  '--concurrency': options.concurrency !== undefined,
  '--rounds': options.rounds !== undefined,
  '--slices': options.slices !== undefined,
  '--seconds': options.seconds !== undefined,
  '--entries': options.entries !== undefined,
  '--localdisk-entries': options.localdiskEntries !== undefined,
};

/** The sections that read each option of `givenOptions`. */
const SECTIONS_USING: Record<keyof typeof givenOptions, readonly Section[]> = {
  '--kinds': ['operations', 'lifecycle'],
  '--value-sizes': ['operations', 'lifecycle'],
  '--concurrency': ['operations', 'lifecycle'],
  '--rounds': ['operations', 'lifecycle'],
  '--slices': ['operations'],
  '--seconds': ['operations', 'lifecycle'],
  '--entries': ['enumeration'],
  '--localdisk-entries': ['enumeration'],
};

// An option no selected section reads would change nothing, yet the report would list it as narrowing the run.
for (const [option, given] of Object.entries(givenOptions)) {
  const using = SECTIONS_USING[option as keyof typeof givenOptions];
  if (given && !using.some((section) => options.sections.includes(section))) {
    process.stderr.write(
      `error: ${option} applies only to the ${using.join(' and ')} section${using.length > 1 ? 's' : ''}, which --sections ${options.sections.join(',')} leaves out; drop ${option} or add ${using.join(' or ')} to --sections\n`,
    );
    process.exit(1);
  }
}
const turnSeconds = settings.operationSeconds / settings.slices;
if (options.sections.includes('operations') && turnSeconds < MIN_TURN_SECONDS) {
  process.stderr.write(
    `error: --seconds ${settings.operationSeconds} split into ${settings.slices} turns gives turns of ${(turnSeconds * 1000).toPrecision(2)} ms, shorter than ${MIN_TURN_SECONDS * 1000} ms; give fewer --slices or more --seconds\n`,
  );
  process.exit(1);
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
  errors: [],
};

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
    progress(`${section}: failed: ${(error as Error).stack ?? String(error)}`);
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
await runSection('operations', async () => {
  report.operations = await benchOperations(settings, selection, progress);
});
await runSection('lifecycle', async () => {
  report.lifecycle = await benchLifecycle(settings, selection, progress);
});
await runSection('enumeration', async () => {
  report.enumeration = await benchEnumeration(settings, progress);
});

report.seconds = (performance.now() - started) / 1000;
report.targets = checkTargets(report);
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
