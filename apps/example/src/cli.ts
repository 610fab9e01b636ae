import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { Command, InvalidArgumentError, Option } from 'commander';
import { pino } from 'pino';
import { MAX_ATTACHMENT_MIB } from './large-message.js';
import { type SpoolPaths, spoolsUnder } from './paths.js';
import { runExample } from './run.js';
import { BUNDLED_POLICIES, type BundledKind } from './spools.js';
import { formatSummary } from './summary.js';
import { verifyCommand } from './verify-command.js';

const BUNDLED_MESSAGES = fileURLToPath(new URL('../messages', import.meta.url));

/**
 * The folder where the user started npm, for resolving relative paths:
 * npm runs a script in its package's folder. The root scripts call node
 * directly, since a nested `npm run` would set `INIT_CWD` to the root.
 */
const USER_CWD = process.env.INIT_CWD ?? process.cwd();
// A policy's relative spool paths resolve against the working directory, as
// kumod's do against its own. Here that directory is where the user started npm.
process.chdir(USER_CWD);

const MIB = 1024 * 1024;
const MAX_LARGE_MESSAGE_MIB = MAX_ATTACHMENT_MIB;

function parseMebibytes(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) {
    throw new InvalidArgumentError('expected a number of MiB, such as 4');
  }
  if (parsed < 0 || parsed > MAX_LARGE_MESSAGE_MIB) {
    throw new InvalidArgumentError(
      `expected 0 to ${MAX_LARGE_MESSAGE_MIB} MiB; use 0 to leave the generated message out`,
    );
  }
  return parsed;
}

/** Rejects an empty path, which `path.resolve` would turn into the current folder. */
function parsePath(value: string): string {
  if (value.trim() === '') {
    throw new InvalidArgumentError(
      'expected a path, got an empty one; leave the option out to use its default',
    );
  }
  return value;
}

const program = new Command()
  .name('spoolkit-example')
  .description(
    'Spools a set of RFC 5322 messages through the spools a KumoMTA policy defines, reopens them as a restarted server would, verifies every byte and removes what it stored (everything, when the spools lie under the spool root).',
  )
  .option(
    '--policy <file>',
    'KumoMTA policy file that defines the data and meta spools',
    parsePath,
  )
  .addOption(
    new Option(
      '--kind <kind>',
      'use the bundled policy whose spools are of this kind (not with --policy)',
    )
      .choices(['LocalDisk', 'RocksDB'])
      .default('LocalDisk'),
  )
  .option(
    '--messages <dir>',
    "directory of .eml files to spool, and to compare bodies with when verifying (a body whose file is missing is checked against its envelope's SHA-256 and listed as unsourced; one whose file differs fails)",
    parsePath,
    BUNDLED_MESSAGES,
  )
  .option(
    '--spool-root <dir>',
    'folder the policy puts its spools under (SPOOL_ROOT); default: a new temporary directory',
    parsePath,
  )
  .option(
    '--large-message <MiB>',
    `size of the attachment of the generated large message in MiB, 0 to ${MAX_LARGE_MESSAGE_MIB}; 0 leaves it out`,
    parseMebibytes,
    4,
  )
  .addOption(
    new Option(
      '--phase <phase>',
      'store only, verify and remove only, or both; a failed verification removes nothing',
    )
      .choices(['all', 'store', 'verify'])
      .default('all'),
  )
  .option(
    '--keep',
    'leave the messages in the spools and the spool root in place (a verify run that finds an interrupted removal then leaves it unfinished)',
    false,
  )
  .addOption(
    new Option(
      '--log-level <level>',
      'pino log level; logs go to stderr as JSON lines',
    )
      .choices(['debug', 'info', 'warn', 'error', 'silent'])
      .default('warn'),
  );

// commander exits 1 on a usage error, and 1 means a wrong body here.
program.exitOverride((error) => {
  process.exit(error.exitCode === 0 ? 0 : 2);
});
program.parse();
const options = program.opts<{
  policy?: string;
  kind: BundledKind;
  messages: string;
  spoolRoot?: string;
  largeMessage: number;
  phase: 'all' | 'store' | 'verify';
  keep: boolean;
  logLevel: string;
}>();

if (
  options.policy !== undefined &&
  program.getOptionValueSource('kind') === 'cli'
) {
  // The policy's define_spool calls choose the kinds, so --kind would be ignored.
  program.error(
    'error: --kind selects a bundled policy and cannot be combined with --policy; set kind in the policy instead',
  );
}

const logger = pino({ level: options.logLevel }, pino.destination(2));
const policyPath =
  options.policy === undefined
    ? BUNDLED_POLICIES[options.kind]
    : path.resolve(USER_CWD, options.policy);

const messagesDir = path.resolve(USER_CWD, options.messages);
let temporaryRoot: string | undefined;
let spoolPaths: SpoolPaths | undefined;
let warnedOutside = false;
for (const [signal, number] of [
  ['SIGINT', 2],
  ['SIGTERM', 15],
] as const) {
  process.once(signal, () => {
    // The spools are left unclosed: the process ends now and the OS drops
    // their locks. Only a root this run created is deleted, and not when
    // the policy's spools lie outside it: its acknowledged.jsonl is then
    // the one record of which entries there are this run's.
    if (
      temporaryRoot !== undefined &&
      spoolPaths !== undefined &&
      !spoolsUnder(spoolPaths, temporaryRoot)
    ) {
      console.error(
        `interrupted by ${signal}: entries of this run may remain in ${spoolPaths.data} and ${spoolPaths.meta}, outside the temporary spool root, so ${temporaryRoot} is kept with its acknowledged.jsonl, which names them; to verify and remove them, run: ${verifyCommand({ policyPath, messagesDir, spoolRoot: temporaryRoot })}`,
      );
    } else if (temporaryRoot !== undefined && !options.keep) {
      try {
        // Writes already queued can still create files during the removal
        // (ENOTEMPTY), so it retries before giving up.
        rmSync(temporaryRoot, {
          recursive: true,
          force: true,
          maxRetries: 10,
          retryDelay: 20,
        });
        console.error(
          `interrupted by ${signal}: deleted the temporary spool root ${temporaryRoot}`,
        );
      } catch (error) {
        console.error(
          `interrupted by ${signal}: could not delete the temporary spool root ${temporaryRoot} (${(error as NodeJS.ErrnoException).code ?? String(error)}); delete it by hand`,
        );
      }
    } else {
      console.error(`interrupted by ${signal}`);
    }
    process.exit(128 + number);
  });
}

try {
  const summary = await runExample({
    policyPath,
    messagesDir,
    spoolRoot:
      options.spoolRoot === undefined
        ? undefined
        : path.resolve(USER_CWD, options.spoolRoot),
    largeMessageBytes: Math.round(options.largeMessage * MIB),
    phase: options.phase,
    keep: options.keep || options.phase === 'store',
    onTemporaryRoot: (root) => {
      temporaryRoot = root;
      logger.info({ spoolRoot: root }, 'created a temporary spool root');
    },
    onSpoolPaths: (paths) => {
      spoolPaths = paths;
      if (
        temporaryRoot !== undefined &&
        !warnedOutside &&
        !spoolsUnder(paths, temporaryRoot)
      ) {
        // Said now, and whatever the log level, so that it is on record
        // even after a SIGKILL.
        warnedOutside = true;
        console.error(
          `note: the policy's spools lie outside the temporary spool root ${temporaryRoot}, whose acknowledged.jsonl records this run's entries in them; if the run stops before its summary, that folder is kept, and this command verifies and removes them: ${verifyCommand({ policyPath, messagesDir, spoolRoot: temporaryRoot })}`,
        );
      }
    },
    logger,
  });
  for (const line of formatSummary(summary)) {
    console.log(line);
  }
  process.exitCode = summary.ok ? 0 : 1;
} catch (error) {
  // One readable line; the stack and the causes only when debugging.
  console.error(`error: ${(error as Error).message}`);
  if (options.logLevel === 'debug') {
    console.error(inspect(error));
  }
  process.exitCode = 2;
}
