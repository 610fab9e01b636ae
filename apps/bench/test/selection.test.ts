import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

let directory: string;

/** Runs the bench CLI with `args`; resolves to its exit code and stderr. */
function runBench(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, '--smoke', '--scratch', directory, ...args],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, _stdout, stderr) => {
        resolve({ code: error === null ? 0 : Number(error.code), stderr });
      },
    );
  });
}

/**
 * Watches `scratch` and returns the name of the first side's directory
 * that appeared while watching and has existed for `ms` milliseconds.
 * Moved then, the side has finished opening its spools and is still in
 * its run, so the move cannot race its open or its clean-up. A directory
 * there before the first look has an unknown age and is skipped.
 */
async function sideRunningFor(scratch: string, ms: number): Promise<string> {
  const before = new Set(await readdir(scratch));
  const firstSeen = new Map<string, number>();
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (const name of await readdir(scratch)) {
      if (before.has(name)) {
        continue;
      }
      const seen = firstSeen.get(name) ?? Date.now();
      firstSeen.set(name, seen);
      if (Date.now() - seen >= ms) {
        return name;
      }
    }
  }
  throw new Error(`no new directory in ${scratch} lasted ${ms} ms`);
}

/** A bench CLI running in the background, with the output it has written so far. */
interface RunningBench {
  child: ChildProcess;
  output: { stdout: string; stderr: string };
  /** Resolves to the exit code, or `null` after a signal. */
  exited: Promise<number | null>;
}

/** Starts the bench CLI with `args` and collects its output as it comes. */
function startBench(args: string[]): RunningBench {
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk) => {
    output.stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output.stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => resolve(code));
  });
  return { child, output, exited };
}

/** Reads the bench.json a run wrote to `out`. */
async function readReport(out: string) {
  return JSON.parse(await readFile(path.join(out, 'bench.json'), 'utf8'));
}

/** Arguments that narrow a run to the operations of one small configuration of `kind`. */
function oneConfiguration(kind: string): string[] {
  return [
    '--sections',
    'operations',
    '--kinds',
    kind,
    '--value-sizes',
    '1k',
    '--concurrency',
    '1',
  ];
}

beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'spoolkit-bench-sel-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('bench selection options', () => {
  it('runs only the selected configurations', async () => {
    const out = path.join(directory, 'narrow');
    const { code } = await runBench([
      '--sections',
      'operations,lifecycle',
      '--kinds',
      'RocksDB',
      '--value-sizes',
      '16k',
      '--concurrency',
      '64',
      '--rounds',
      '2',
      '--out',
      out,
    ]);
    expect(code).toBe(0);
    const report = await readReport(out);
    const configurations = new Set(
      report.operations.map(
        (row: { kind: string; valueBytes: number; concurrency: number }) =>
          `${row.kind}/${row.valueBytes}/${row.concurrency}`,
      ),
    );
    expect([...configurations]).toEqual(['RocksDB/16384/64']);
    for (const row of report.operations) {
      expect(row.roundsPerSecond).toHaveLength(2);
    }
    expect(report.lifecycle.map((row: { runBy: string }) => row.runBy)).toEqual(
      ['RocksDB', 'raw rocksdb'],
    );
    for (const row of report.lifecycle) {
      expect(row.kind).toBe('RocksDB');
      expect(row.roundsPerSecond).toHaveLength(2);
    }
    expect(report.narrowedBy).toEqual([
      '--sections',
      '--kinds',
      '--value-sizes',
      '--concurrency',
      '--rounds',
    ]);
    const markdown = await readFile(path.join(out, 'bench.md'), 'utf8');
    expect(markdown.split('\n')[0]).toBe(
      '# spoolkit benchmark (smoke, narrowed by --sections --kinds --value-sizes --concurrency --rounds)',
    );
    expect(markdown).toContain(
      'through its raw baseline (raw rocksdb), which does the same steps',
    );
    expect(markdown).toContain(
      'Each configuration ran 2 rounds, RocksDB and raw rocksdb back to back in each, the order reversing every round.',
    );
  }, 120_000);

  it.each([
    [3, 'they took 3 turns each, a turn lasting 1/3 of the run'],
    [1, 'At every operation they took one turn each'],
  ])(
    'takes turns per operation with --slices %i',
    async (slices, words) => {
      const out = path.join(directory, `slices-${slices}`);
      const { code } = await runBench([
        ...oneConfiguration('LocalDisk'),
        '--slices',
        String(slices),
        '--out',
        out,
      ]);
      expect(code).toBe(0);
      const report = await readReport(out);
      expect(report.slices).toBe(slices);
      expect(report.narrowedBy).toContain('--slices');
      // store, enumerate, load and remove with sync off, store with sync on, for each side
      expect(report.operations).toHaveLength(10);
      const markdown = await readFile(path.join(out, 'bench.md'), 'utf8');
      expect(markdown).toContain(words);
    },
    120_000,
  );

  it('runs each raw baseline against itself with --control', async () => {
    const out = path.join(directory, 'control');
    const { code } = await runBench([
      ...oneConfiguration('RocksDB'),
      '--control',
      '--out',
      out,
    ]);
    expect(code).toBe(0);

    const report = await readReport(out);
    expect(report.control).toBe(true);

    const rows: { target: string; baseline: boolean; control?: boolean }[] =
      report.operations;
    const sides = rows.filter((row) => !row.baseline);
    // store, enumerate, load and remove with sync off, store with sync on
    expect(sides).toHaveLength(5);
    expect(rows.filter((row) => row.baseline)).toHaveLength(5);
    for (const row of sides) {
      expect(row).toMatchObject({
        control: true,
        target: 'raw rocksdb (control)',
      });
    }

    const targets: { target: string }[] = report.targets;
    expect(targets.map((check) => check.target)).toEqual([
      "control, RocksDB's raw baseline against itself: rows at 0.9x or more",
    ]);

    const markdown = await readFile(path.join(out, 'bench.md'), 'utf8');
    expect(markdown).toContain('| control (no target) |');
    expect(markdown.split('\n')[0]).toBe(
      '# spoolkit benchmark (smoke, narrowed by --sections --kinds --value-sizes --concurrency, control: each raw baseline against itself)',
    );
    expect(markdown).toMatch(/^\| RocksDB \(control\) \| store +\|/m);
    expect(markdown).not.toContain('not met');
  }, 120_000);

  it.each([
    {
      sections: ['--sections', 'operations,lifecycle'],
      reason: 'got --sections operations,lifecycle',
    },
    { sections: [], reason: 'every section was selected' },
  ])('rejects --control: $reason', async ({ sections, reason }) => {
    const { code, stderr } = await runBench([
      ...sections,
      '--control',
      '--out',
      path.join(directory, 'control-rejected'),
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain(
      `error: --control applies to the operations section only; add --sections operations (${reason})`,
    );
  });

  it('runs a kind given twice once', async () => {
    const out = path.join(directory, 'twice');
    const { code } = await runBench([
      '--sections',
      'operations',
      '--kinds',
      'RocksDB,RocksDB',
      '--value-sizes',
      '1k,1k',
      '--concurrency',
      '1',
      '--out',
      out,
    ]);
    expect(code).toBe(0);
    const report = await readReport(out);
    // store, enumerate, load and remove with sync off, store with sync on; both sides
    expect(report.operations).toHaveLength(10);
  }, 120_000);

  it('runs a section given twice once', async () => {
    const out = path.join(directory, 'section-twice');
    const { code } = await runBench([
      '--sections',
      'policy,policy',
      '--out',
      out,
    ]);
    expect(code).toBe(0);
    const report = await readReport(out);
    expect(report.narrowedBy).toEqual(['--sections']);
    expect(report.operations).toBeUndefined();
    const markdown = await readFile(path.join(out, 'bench.md'), 'utf8');
    expect(markdown.split('\n')[0]).toBe(
      '# spoolkit benchmark (smoke, narrowed by --sections)',
    );
  }, 120_000);

  it('rejects an unknown kind', async () => {
    const { code, stderr } = await runBench(['--kinds', 'Memory']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown kind "Memory"');
  });

  it.each(['0', '101', '1.5', 'abc'])('rejects --slices %s', async (value) => {
    const { code, stderr } = await runBench(['--slices', value]);
    expect(code).toBe(2);
    expect(stderr).toContain(
      `"${value}" is not a whole number of turns from 1 to 100`,
    );
  });

  it.each([
    [
      ['--sections', 'policy', '--slices', '3'],
      'error: --slices applies only to the operations section, which --sections policy leaves out; drop --slices or add operations to --sections',
    ],
    [
      ['--sections', 'enumeration', '--rounds', '2'],
      'error: --rounds applies only to the operations and lifecycle sections, which --sections enumeration leaves out; drop --rounds or add operations or lifecycle to --sections',
    ],
    [
      ['--sections', 'operations,lifecycle', '--entries', '500'],
      'error: --entries applies only to the enumeration section, which --sections operations,lifecycle leaves out; drop --entries or add enumeration to --sections',
    ],
  ])(
    'refuses an option no selected section reads: %j',
    async (args, message) => {
      const { code, stderr } = await runBench(args);
      expect(code).toBe(2);
      expect(stderr).toContain(message);
      expect(stderr).not.toContain('starting');
    },
  );

  it.each([
    ['--rounds', '1e2', '"1e2" is not a count'],
    ['--entries', '0x10', '"0x10" is not a count'],
    ['--concurrency', '64,', '"" is not a count'],
    ['--slices', '0x8', '"0x8" is not a whole number of turns from 1 to 100'],
    ['--seconds', '1e-1', '"1e-1" is not a length of time'],
    ['--seconds', 'Infinity', '"Infinity" is not a length of time'],
  ])('accepts decimal digits only: %s %s', async (option, value, message) => {
    const { code, stderr } = await runBench([option, value]);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it.each([
    ['--concurrency', '4097', '"4097" is above the maximum of 4,096'],
    ['--rounds', '101', '"101" is above the maximum of 100'],
    ['--entries', '10000001', '"10000001" is above the maximum of 10,000,000'],
    ['--seconds', '601', '"601" is outside 0.001 to 600 seconds'],
    ['--seconds', '0.0005', '"0.0005" is outside 0.001 to 600 seconds'],
  ])('rejects %s %s past its limit', async (option, value, message) => {
    const { code, stderr } = await runBench([option, value]);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it('accepts a count with spaces around it', async () => {
    // The missing --scratch stops the run after the options parsed.
    const { code, stderr } = await runBench([
      '--rounds',
      ' 3 ',
      '--scratch',
      path.join(directory, 'absent'),
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain('does not exist');
    expect(stderr).not.toContain('is not a count');
  });

  it('rejects turns shorter than 1 ms', async () => {
    const { code, stderr } = await runBench(['--slices', '100']);
    expect(code).toBe(2);
    expect(stderr).toContain(
      'error: --seconds 0.03 (the smoke default) split into 100 turns gives turns of 0.30 ms, shorter than 1 ms; give fewer --slices or more --seconds',
    );
  });

  it('rejects a size over 64 MiB', async () => {
    const { code, stderr } = await runBench(['--value-sizes', '99999999999k']);
    expect(code).toBe(2);
    expect(stderr).toContain('is larger than the largest value size');
  });

  it('rejects an unknown size unit', async () => {
    const { code, stderr } = await runBench(['--value-sizes', '16m']);
    expect(code).toBe(2);
    expect(stderr).toContain('"16m" is not a size');
  });

  it('refuses a --scratch directory that does not exist', async () => {
    const missing = path.join(directory, 'no-such-parent', 'scratch');
    const out = path.join(directory, 'scratch-missing-out');
    // The later --scratch wins over the one runBench passes.
    const { code, stderr } = await runBench([
      '--scratch',
      missing,
      '--out',
      out,
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain(
      `error: --scratch ${missing} does not exist; create the directory first, or leave --scratch out to use ${os.tmpdir()}`,
    );
    await expect(
      readdir(path.join(directory, 'no-such-parent')),
    ).rejects.toThrow(/ENOENT/);
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);
  });

  it('resolves --out where npm was started', async () => {
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const out = `relative-out-${process.pid}`;
    const started = path.join(root, 'packages');
    try {
      await new Promise<void>((resolve, reject) => {
        execFile(
          'npm',
          ['run', 'bench', '--', '--sections', 'policy', '--out', out],
          { cwd: started, maxBuffer: 16 * 1024 * 1024 },
          (error) => (error ? reject(error) : resolve()),
        );
      });
      const report = await readReport(path.join(started, out));
      expect(report.policy).toBeDefined();
      await expect(readdir(path.join(root, out))).rejects.toThrow(/ENOENT/);
    } finally {
      await rm(path.join(started, out), { recursive: true, force: true });
      await rm(path.join(root, out), { recursive: true, force: true });
    }
  }, 120_000);

  it.each([
    ['a file', 'is not a directory; give a directory'],
    ['an empty path', 'expected a directory, got an empty path'],
  ])('refuses --scratch as %s', async (what, message) => {
    const file = path.join(directory, 'scratch-file');
    await writeFile(file, 'not a directory');
    const scratch = what === 'a file' ? file : '';
    const { code, stderr } = await runBench(['--scratch', scratch]);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it('rejects an unwritable --out first', async () => {
    const file = path.join(directory, 'a-file');
    await writeFile(file, 'not a directory');
    const out = path.join(file, 'results');

    const { code, stderr } = await runBench(['--out', out]);

    expect(code).toBe(2);
    expect(stderr).toContain(
      `error: cannot write the results to --out ${out} (a file is in the way); choose a writable directory`,
    );
    expect(stderr).not.toContain('starting');
  });

  // Node's recursive mkdir never returns for a path under /proc, and
  // access(W_OK) passes for root on /proc itself.
  it
    .skipIf(!existsSync('/proc/self'))
    .each([`/proc/spoolkit-bench-${process.pid}/results`, '/proc'])(
    'rejects --out %s at once',
    async (out) => {
      const { code, stderr } = await runBench(['--out', out]);

      expect(code).toBe(2);
      expect(stderr).toContain(
        `error: cannot write the results to --out ${out} (no file or directory can be created there`,
      );
      expect(stderr).not.toContain('starting');
    },
  );

  it.skipIf(!existsSync('/proc/self'))(
    'rejects --scratch /proc at once',
    async () => {
      const { code, stderr } = await runBench(['--scratch', '/proc']);

      expect(code).toBe(2);
      expect(stderr).toContain(
        'error: --scratch /proc takes no new directories (ENOENT, as in /proc)',
      );
    },
  );

  it('keeps the results when --out fails late', async () => {
    const out = path.join(directory, 'late-failure');
    const bench = startBench([
      '--smoke',
      '--scratch',
      directory,
      '--sections',
      'operations',
      '--kinds',
      'LocalDisk',
      '--value-sizes',
      '1k',
      // Long enough that the folder is swapped before the final write.
      '--seconds',
      '0.5',
      '--out',
      out,
    ]);
    await vi.waitFor(
      () => expect(bench.output.stderr).toContain('operations: starting'),
      {
        timeout: 30_000,
        interval: 20,
      },
    );
    // A file in place of the folder makes the final write fail.
    await rm(out, { recursive: true, force: true });
    await writeFile(out, 'in the way');

    expect(await bench.exited).toBe(2);
    expect(bench.output.stdout).toContain(
      '## Operations against the raw baselines',
    );
    const fallback = /bench\.json is at (\S+)\n/.exec(bench.output.stderr)?.[1];
    expect(bench.output.stderr).toContain(
      `error: cannot write the results to --out ${out} (ENOTDIR)`,
    );
    const report = JSON.parse(await readFile(fallback as string, 'utf8'));
    expect(report.operations.length).toBeGreaterThan(0);
    await rm(path.dirname(fallback as string), { recursive: true });
  }, 120_000);

  it('keeps finished lifecycle rows when one fails', async () => {
    const scratch = await mkdtemp(path.join(directory, 'failing-'));
    const out = path.join(directory, 'failing-out');
    const bench = startBench([
      '--scratch',
      scratch,
      '--sections',
      'lifecycle',
      '--kinds',
      'LocalDisk',
      '--value-sizes',
      '1k',
      '--concurrency',
      '1,64',
      '--rounds',
      '1',
      // Long enough that the spools are moved away while a side runs.
      '--seconds',
      '2',
      '--out',
      out,
    ]);
    await vi.waitFor(
      () =>
        expect(bench.output.stderr).toContain(
          'lifecycle: 1024 B, concurrency 64',
        ),
      { timeout: 60_000, interval: 20 },
    );
    // Moving the running side's spools away makes its next store fail.
    const running = await sideRunningFor(scratch, 300);
    const moved = path.join(directory, 'failing-moved');
    await rename(path.join(scratch, running), moved);

    expect(await bench.exited, bench.output.stderr).toBe(1);
    expect(bench.output.stderr).toContain('lifecycle: failed');
    const report = await readReport(out);
    expect(
      report.errors.map((error: { section: string }) => error.section),
    ).toEqual(['lifecycle']);
    // Either side may be the one running when its spools move.
    expect(report.errors[0].message).toMatch(
      /^(LocalDisk|raw fs) 1024 B, concurrency 64: /,
    );
    const finished = report.lifecycle.map(
      (row: { runBy: string; concurrency: number }) =>
        `${row.runBy}/${row.concurrency}`,
    );
    expect(finished).toEqual(['LocalDisk/1', 'raw fs/1']);
    await rm(moved, { recursive: true, force: true });
  }, 120_000);

  it('deletes its scratch data on SIGINT', async () => {
    const scratch = await mkdtemp(path.join(directory, 'interrupted-'));
    const bench = startBench([
      '--sections',
      'enumeration',
      '--entries',
      '200000',
      '--scratch',
      scratch,
      '--out',
      path.join(directory, 'interrupted-out'),
    ]);

    await vi.waitFor(
      async () => expect((await readdir(scratch)).length).toBeGreaterThan(0),
      { timeout: 30_000, interval: 100 },
    );
    bench.child.kill('SIGINT');

    expect(await bench.exited, bench.output.stderr).toBe(130);
    expect(bench.output.stderr).toContain(
      'SIGINT: deleting 1 scratch directory',
    );
    expect(await readdir(scratch)).toEqual([]);
  }, 120_000);
});
