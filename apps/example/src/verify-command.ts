import { fileURLToPath } from 'node:url';

/** The built CLI, which this module is bundled into, so that the command works from any folder. */
const CLI = fileURLToPath(new URL('./cli.js', import.meta.url));

/** The policy, messages folder and spool root a verify run needs to find a store phase's spools and sources again. */
export interface VerifyTarget {
  policyPath: string;
  messagesDir: string;
  spoolRoot: string;
}

/**
 * Returns a shell command that verifies, and then removes, what a run left
 * in `target.spoolRoot`, with the same policy and messages folder. It
 * starts in this process's working directory, against which a policy's
 * relative spool paths were resolved.
 */
export function verifyCommand(target: VerifyTarget): string {
  return `cd ${quoteForShell(process.cwd())} && ${[
    'node',
    CLI,
    '--policy',
    target.policyPath,
    '--messages',
    target.messagesDir,
    '--phase',
    'verify',
    '--spool-root',
    target.spoolRoot,
  ]
    .map(quoteForShell)
    .join(' ')}`;
}

/** Quotes `word` for a POSIX shell when it contains anything but safe characters. */
function quoteForShell(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word)
    ? word
    : `'${word.replaceAll("'", "'\\''")}'`;
}
