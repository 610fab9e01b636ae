import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The monorepo root. */
export const repoRoot = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../..',
);

/**
 * Builds the environment for child npm and node processes without the `npm_*`
 * variables an outer `npm test` sets, which would point the child at
 * this workspace instead of its own folder.
 */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.toLowerCase().startsWith('npm_')) {
      env[key] = value;
    }
  }
  return {
    ...env,
    NO_COLOR: '1',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  };
}

/**
 * Time a child may run before it is killed, in milliseconds: below the
 * tests' 120 s limit, so that a hung child fails its own test with its
 * output and the test's cleanup still runs.
 */
const CHILD_TIMEOUT_MS = 90_000;

/** Runs a command in `cwd` and resolves to its stdout; rejects with stdout and stderr in the message. */
export async function run(
  command: string,
  args: string[],
  cwd: string,
  timeoutMs = CHILD_TIMEOUT_MS,
): Promise<string> {
  return (await runWithStderr(command, args, cwd, {}, timeoutMs)).stdout;
}

/** Runs a command in `cwd` with `env` added to the environment, and resolves to its stdout and stderr. */
export async function runWithStderr(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs = CHILD_TIMEOUT_MS,
): Promise<{ stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(command, args, {
      cwd,
      env: { ...cleanEnv(), ...env },
      maxBuffer: 64 * 1024 * 1024,
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    return { stdout, stderr };
  } catch (error) {
    const failure = error as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `${command} ${args.join(' ')} failed in ${cwd}: ${failure.message}\nstdout:\n${failure.stdout}\nstderr:\n${failure.stderr}`,
      { cause: error },
    );
  }
}
