import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built CLI; the tests run it as a real child process. */
export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI with `args` and resolves with its exit code and output. */
export function runCli(
  args: string[],
  startedIn: string = process.cwd(),
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        maxBuffer: 16 * 1024 * 1024,
        env: { ...process.env, INIT_CWD: startedIn },
      },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') {
          reject(error);
          return;
        }
        resolve({
          code: error === null ? 0 : (error.code as number),
          stdout,
          stderr,
        });
      },
    );
  });
}

/** The summary line that starts with `label:`, without the label. */
export function summaryLine(stdout: string, label: string): string | undefined {
  const line = stdout
    .split('\n')
    .find((candidate) => candidate.startsWith(`${label}:`));
  return line?.slice(label.length + 1).trim();
}
