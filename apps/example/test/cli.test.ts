import { execFileSync, spawn } from 'node:child_process';
import {
  appendFile,
  cp,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpoolId, silentLogger } from '@spoolkit/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BUNDLED_POLICIES, EVERY_ENTRY, openSpools } from '../src/spools.js';
import { CLI, runCli, summaryLine } from './run-cli.js';

const BUNDLED_MESSAGES = fileURLToPath(new URL('../messages', import.meta.url));

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'spoolkit-example-test-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Counts the files under `dir`, recursively; 0 when it does not exist. */
async function countFiles(dir: string): Promise<number> {
  const entries = await readdir(dir, {
    recursive: true,
    withFileTypes: true,
  }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).length;
}

/** Writes a policy under `root` that puts `data` and `meta` in `folder`, ignoring SPOOL_ROOT. */
async function writeSpoolPolicy(name: string, folder: string): Promise<string> {
  const policy = path.join(root, name);
  await writeFile(
    policy,
    `local kumo = require 'kumo'
kumo.on('init', function()
  kumo.define_spool { name = 'data', path = '${folder}/data' }
  kumo.define_spool { name = 'meta', path = '${folder}/meta' }
end)
`,
  );
  return policy;
}

describe('example cli', () => {
  it('round trip on LocalDisk', async () => {
    const result = await runCli(['--spool-root', root]);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(summaryLine(result.stdout, 'stored')).toMatch(
      /^6 messages, 5\.\d MiB/,
    );
    expect(summaryLine(result.stdout, 'verified')).toMatch(/^6 of 6 messages/);
    expect(summaryLine(result.stdout, 'problems')).toBe(
      '0 damaged meta skipped, 0 mismatched, 0 without body, 0 messages not found',
    );
    expect(summaryLine(result.stdout, 'removed')).toMatch(
      /^6 messages by id \(body and envelope, where present\), then 0 more entries found after them/,
    );
    expect(summaryLine(result.stdout, 'total')).toMatch(/ok$/);
  });

  it('puts relative spool paths where npm started', async () => {
    const started = path.join(root, 'started-here');
    await mkdir(started);
    const policy = await writeSpoolPolicy('relative.lua', 'spool');
    const spoolRoot = path.join(root, 'unused-root');

    const result = await runCli(
      ['--policy', policy, '--spool-root', spoolRoot],
      started,
    );

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(summaryLine(result.stdout, 'data')).toBe(
      path.join(started, 'spool', 'data'),
    );
    expect(summaryLine(result.stdout, 'meta')).toBe(
      path.join(started, 'spool', 'meta'),
    );
    expect((await readdir(path.join(started, 'spool'))).sort()).toEqual([
      'data',
      'meta',
    ]);
  });

  it('refuses spools that already hold entries', async () => {
    const live = path.join(root, 'live');
    const policy = await writeSpoolPolicy('live.lua', live);
    const options = {
      policyPath: policy,
      spoolRoot: root,
      logger: silentLogger,
    };
    const queued = SpoolId.generate();
    const before = await openSpools(options);
    await before.data.store(queued, Buffer.from('queued mail'));
    await before.registry.closeAll();

    const result = await runCli(['--policy', policy]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `error: spool 'data' at ${path.join(live, 'data')} already holds entries, and the example needs empty spools to tell its messages from others`,
    );
    const after = await openSpools(options);
    try {
      expect((await after.data.load(queued)).toString()).toBe('queued mail');
    } finally {
      await after.registry.closeAll();
    }
  });

  it('verify removes only acknowledged entries outside the root', async () => {
    const live = path.join(root, 'live');
    const policy = await writeSpoolPolicy('live.lua', live);
    const spoolRoot = path.join(root, 'run');
    const args = ['--policy', policy, '--spool-root', spoolRoot];
    const stored = await runCli([...args, '--phase', 'store']);
    expect(stored.code).toBe(0);
    // Mail a server queued in the same spool after the store phase.
    const options = { policyPath: policy, spoolRoot, logger: silentLogger };
    const queued = SpoolId.generate();
    const between = await openSpools(options);
    await between.data.store(queued, Buffer.from('queued mail'));
    await between.meta.store(queued, Buffer.from('an envelope of its own'));
    await between.registry.closeAll();
    // As if the store phase had stopped before acknowledging its last message.
    const list = path.join(spoolRoot, 'acknowledged.jsonl');
    const lines = (await readFile(list, 'utf8')).trimEnd().split('\n');
    await writeFile(list, `${lines.slice(0, -1).join('\n')}\n`);

    const verified = await runCli([...args, '--phase', 'verify']);

    expect(verified.stderr).toContain(
      'skipped a message the store phase began but did not acknowledge',
    );
    expect(verified.stderr).toContain(
      `"id":"${queued}","msg":"skipped an envelope the store phase did not write"`,
    );
    expect(verified.code).toBe(0);
    expect(summaryLine(verified.stdout, 'unacknowledged')).toMatch(
      /^1 message /,
    );
    expect(summaryLine(verified.stdout, 'foreign')).toBe(
      '1 envelope in meta that the store phase did not write, not checked and not counted',
    );
    expect(summaryLine(verified.stdout, 'removed')).toMatch(
      /^6 messages by id \(body and envelope, where present\), only those the store phase began \(a spool lies outside SPOOL_ROOT\)/,
    );
    expect(summaryLine(verified.stdout, 'left')).toBe(
      '2 entries in data and meta, left in place: the store phase did not write them',
    );
    const after = await openSpools(options);
    try {
      expect((await after.data.load(queued)).toString()).toBe('queued mail');
      const envelopes = [];
      for await (const entry of after.meta.enumerate(EVERY_ENTRY)) {
        envelopes.push(entry.id?.toString());
      }
      expect(envelopes).toEqual([queued.toString()]);
    } finally {
      await after.registry.closeAll();
    }
  });

  it('round trip on RocksDB', async () => {
    const result = await runCli(['--kind', 'RocksDB', '--spool-root', root]);

    expect(result.code).toBe(0);
    expect(summaryLine(result.stdout, 'policy')).toBe(BUNDLED_POLICIES.RocksDB);
    expect(summaryLine(result.stdout, 'verified')).toMatch(/^6 of 6 messages/);
    expect(summaryLine(result.stdout, 'removed')).toMatch(
      /^6 messages by id \(body and envelope, where present\), then 0 more entries found after them/,
    );
  });

  it('verify in a second process', async () => {
    const stored = await runCli(['--phase', 'store', '--spool-root', root]);
    expect(stored.code).toBe(0);
    expect(summaryLine(stored.stdout, 'stored')).toMatch(/^6 messages/);
    expect(summaryLine(stored.stdout, 'verified')).toBeUndefined();

    const verified = await runCli(['--phase', 'verify', '--spool-root', root]);
    expect(verified.code).toBe(0);
    expect(summaryLine(verified.stdout, 'verified')).toMatch(
      /^6 of 6 messages/,
    );

    const again = await runCli(['--phase', 'verify', '--spool-root', root]);
    expect(again.code).toBe(1);
    // With no meta entry left, only the five files are expected.
    expect(summaryLine(again.stdout, 'verified')).toMatch(/^0 of 5 messages/);
  });

  it('damaged meta is skipped', async () => {
    const stored = await runCli(['--phase', 'store', '--spool-root', root]);
    expect(stored.code).toBe(0);
    const empty = SpoolId.generate();
    const truncated = SpoolId.generate();
    await withSpools(async (spools) => {
      await spools.meta.store(empty, Buffer.alloc(0));
      await spools.meta.store(truncated, Buffer.from('{"sender":"alice@exa'));
    });
    // Without the store phase's list, every envelope counts as the
    // example's own, so the two are judged rather than set aside as
    // another program's.
    await rm(path.join(root, 'acknowledged.jsonl'));

    const result = await runCli(['--phase', 'verify', '--spool-root', root]);

    expect(result.code).toBe(0);
    expect(summaryLine(result.stdout, 'verified')).toMatch(/^6 of 6 messages/);
    expect(summaryLine(result.stdout, 'problems')).toMatch(
      /^2 damaged meta skipped, 0 mismatched/,
    );
    expect(result.stdout).toContain(
      `damaged meta ${empty}: the meta entry is empty`,
    );
    expect(result.stdout).toContain(
      `damaged meta ${truncated}: the meta entry is not valid JSON`,
    );
    expect(result.stderr).toContain('skipped a damaged meta entry');
    expect(summaryLine(result.stdout, 'removed')).toMatch(
      /^8 messages by id \(body and envelope, where present\), then 0 more entries found after them/,
    );
  });

  it('changed body fails verification', async () => {
    const stored = await runCli([
      '--phase',
      'store',
      '--spool-root',
      root,
      '--large-message',
      '0',
    ]);
    expect(stored.code).toBe(0);
    let changed: string | undefined;
    await withSpools(async (spools) => {
      for await (const entry of spools.meta.enumerate()) {
        if (entry.type === 'item' && changed === undefined) {
          changed = entry.id.toString();
          const body = await spools.data.load(entry.id);
          const at = body.length - 3;
          body.writeUInt8(body.readUInt8(at) ^ 0x01, at);
          await spools.data.store(entry.id, body);
        }
      }
    });

    const result = await runCli([
      '--phase',
      'verify',
      '--spool-root',
      root,
      '--large-message',
      '0',
    ]);

    expect(result.code).toBe(1);
    expect(summaryLine(result.stdout, 'verified')).toMatch(/^4 of 5 messages/);
    expect(result.stdout).toContain(`mismatched body ${changed}`);
    expect(summaryLine(result.stdout, 'total')).toMatch(/FAILED$/);
  });

  it('verify takes large message from meta', async () => {
    const verifyArgs = ['--phase', 'verify', '--spool-root', root];
    const withoutLarge = await runCli([
      '--phase',
      'store',
      '--spool-root',
      root,
      '--large-message',
      '0',
    ]);
    expect(withoutLarge.code).toBe(0);

    const first = await runCli(verifyArgs);

    expect(first.code).toBe(0);
    expect(summaryLine(first.stdout, 'verified')).toMatch(/^5 of 5 messages/);
    expect(first.stdout).not.toContain('generated-large.eml');

    const withLarge = await runCli([
      '--phase',
      'store',
      '--spool-root',
      root,
      '--large-message',
      '1.5',
    ]);
    expect(withLarge.code).toBe(0);

    const second = await runCli([...verifyArgs, '--large-message', '0']);

    expect(second.code).toBe(0);
    expect(summaryLine(second.stdout, 'verified')).toMatch(/^6 of 6 messages/);
  });

  it('failed verification keeps entries', async () => {
    const stored = await runCli([
      '--phase',
      'store',
      '--spool-root',
      root,
      '--large-message',
      '0',
    ]);
    expect(stored.code).toBe(0);
    let removed: string | undefined;
    await withSpools(async (spools) => {
      for await (const entry of spools.meta.enumerate()) {
        if (entry.type === 'item' && removed === undefined) {
          removed = entry.id.toString();
          await spools.data.remove(entry.id);
        }
      }
    });

    const verifyArgs = ['--phase', 'verify', '--spool-root', root];
    const first = await runCli([...verifyArgs, '--large-message', '0']);
    const second = await runCli([...verifyArgs, '--large-message', '0']);

    expect(first.code).toBe(1);
    expect(first.stdout).toContain(`no body for ${removed}`);
    expect(summaryLine(first.stdout, 'removed')).toBeUndefined();
    expect(summaryLine(first.stdout, 'kept')).toBe(
      `entries left in ${root} for inspection; cd ${process.cwd()} && node ${CLI} --policy ${BUNDLED_POLICIES.LocalDisk} --messages ${BUNDLED_MESSAGES} --phase verify --spool-root ${root} checks them again, and deleting that folder discards them`,
    );
    expect(second.code).toBe(1);
    expect(summaryLine(second.stdout, 'verified')).toMatch(/^4 of 5 messages/);
    expect(second.stdout).toContain(`no body for ${removed}`);
  });

  it('help shows large message in MiB', async () => {
    const result = await runCli(['--help']);

    expect(result.code).toBe(0);
    expect(result.stdout.replace(/\s+/g, ' ')).toMatch(
      /--large-message <MiB> size of .* in MiB, 0 to 256; 0 leaves it out \(default: 4\)/,
    );
  });

  it('large message out of range is rejected', async () => {
    for (const value of ['-1', '257', '1e6', 'four', '']) {
      const result = await runCli([
        '--spool-root',
        root,
        '--large-message',
        value,
      ]);

      expect(result.code, value).toBe(2);
      expect(result.stderr, value).toContain("option '--large-message <MiB>'");
      expect(result.stderr, value).toMatch(/expected (0 to 256 MiB|a number)/);
      expect(result.stderr, value).not.toContain('out of range');
    }
  });

  it.each(['--spool-root', '--messages', '--policy'])(
    'empty %s is rejected',
    async (option) => {
      const result = await runCli([`${option}=`]);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`option '${option} `);
      expect(result.stderr).toContain('expected a path, got an empty one');
    },
  );

  it('spool root that is a file', async () => {
    const file = path.join(root, 'file');
    await writeFile(file, 'not a directory');

    const result = await runCli(['--spool-root', file]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `--spool-root ${file} exists but is not a directory; pass a directory path`,
    );
    expect(errorLine(result.stderr)).not.toContain('EEXIST');
  });

  // NOTE: mounting a tmpfs needs root; skipped otherwise.
  it.skipIf(process.getuid?.() !== 0)(
    'spool root on a read-only mount',
    async () => {
      const mountPoint = path.join(root, 'mnt');
      await mkdir(mountPoint);
      execFileSync('mount', [
        '-t',
        'tmpfs',
        '-o',
        'size=1m',
        'tmpfs',
        mountPoint,
      ]);
      try {
        execFileSync('mount', ['-o', 'remount,ro', mountPoint]);
        const spoolRoot = path.join(mountPoint, 'new', 'spools');

        const result = await runCli(['--spool-root', spoolRoot]);

        expect(result.code).toBe(2);
        expect(result.stderr).toContain(
          `--spool-root ${spoolRoot} lies on a file system mounted read-only (EROFS); remount it read-write`,
        );
      } finally {
        execFileSync('umount', [mountPoint]);
      }
    },
  );

  it('messages directory that is missing', async () => {
    const missing = path.join(root, 'absent');

    const result = await runCli(['--spool-root', root, '--messages', missing]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `--messages ${missing} does not exist; point --messages at a directory of .eml files`,
    );
    expect(errorLine(result.stderr)).not.toContain('scandir');
  });

  it('error is printed once', async () => {
    const missing = path.join(root, 'absent');

    const result = await runCli(['--spool-root', root, '--messages', missing]);

    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      `error: --messages ${missing} does not exist; point --messages at a directory of .eml files, or omit it to use the bundled messages`,
    ]);
  });

  it('error stack at debug level', async () => {
    const missing = path.join(root, 'absent');

    const result = await runCli([
      '--spool-root',
      root,
      '--messages',
      missing,
      '--log-level',
      'debug',
    ]);

    expect(result.code).toBe(2);
    expect(errorLine(result.stderr)).toMatch(/^--messages .* does not exist/);
    expect(result.stderr).toMatch(/\n\s+at listDirectory /);
    expect(result.stderr).toContain('[cause]');
    expect(result.stderr).toContain('ENOENT');
  });

  it('bad messages are skipped', async () => {
    const messages = path.join(root, 'messages');
    await cp(BUNDLED_MESSAGES, messages, { recursive: true });
    await writeFile(path.join(messages, 'empty.eml'), '');
    await writeFile(
      path.join(messages, 'no-from.eml'),
      'To: bob@example.net\r\nSubject: x\r\n\r\nHi\r\n',
    );
    await writeFile(
      path.join(messages, 'no-to.eml'),
      'From: alice@example.com\r\nSubject: x\r\n\r\nHi\r\n',
    );
    const spoolRoot = path.join(root, 'spool');

    const result = await runCli([
      '--spool-root',
      spoolRoot,
      '--messages',
      messages,
      '--large-message',
      '0',
    ]);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'skipped:  empty.eml: empty.eml has no Return-Path or From address',
    );
    expect(result.stdout).toContain(
      'skipped:  no-from.eml: no-from.eml has no Return-Path or From address',
    );
    expect(result.stdout).toContain(
      'skipped:  no-to.eml: no-to.eml has no To, Cc or Bcc address',
    );
    expect(summaryLine(result.stdout, 'stored')).toMatch(/^5 messages/);
    expect(summaryLine(result.stdout, 'verified')).toMatch(/^5 of 5 messages/);
    expect(summaryLine(result.stdout, 'removed')).toMatch(
      /^5 messages by id \(body and envelope, where present\), then 0 more entries found after them/,
    );
    let remaining = 0;
    await withSpools(async (spools) => {
      for await (const _entry of spools.meta.enumerate()) {
        remaining += 1;
      }
    }, spoolRoot);
    expect(remaining).toBe(0);
  });

  it('verify of an empty folder', async () => {
    const empty = path.join(root, 'empty');
    await mkdir(empty);

    const result = await runCli(['--phase', 'verify', '--spool-root', empty]);

    expect(result.code).toBe(2);
    expect(errorLine(result.stderr)).toBe(
      `--spool-root ${empty} is empty, so there is nothing to verify; run --phase store with the same --spool-root first`,
    );
    expect(await readdir(empty)).toEqual([]);
  });

  it('verify of a missing folder', async () => {
    const missing = path.join(root, 'never-stored');

    const result = await runCli(['--phase', 'verify', '--spool-root', missing]);

    expect(result.code).toBe(2);
    expect(errorLine(result.stderr)).toBe(
      `--spool-root ${missing} does not exist, so there is nothing to verify; run --phase store with the same --spool-root first`,
    );
    await expect(stat(missing)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('verify of a folder without spools', async () => {
    const other = path.join(root, 'other');
    await mkdir(other);
    await writeFile(path.join(other, 'notes.txt'), 'not a spool');

    const result = await runCli(['--phase', 'verify', '--spool-root', other]);

    expect(result.code).toBe(2);
    expect(errorLine(result.stderr)).toBe(
      `spool 'data' at ${path.join(other, 'data')} does not exist, so there is nothing to verify; run --phase store with the same --spool-root and policy first`,
    );
    expect(await readdir(other)).toEqual(['notes.txt']);
  });

  it('interrupt deletes the temporary root', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'spoolkit-example-int-'));
    const child = spawn(
      process.execPath,
      [CLI, '--large-message', '256', '--log-level', 'info'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, TMPDIR: tmp },
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => {
      child.on('exit', (code) => resolve(code));
    });

    await vi.waitFor(
      () => expect(stderr).toContain('created a temporary spool root'),
      { timeout: 60_000, interval: 20 },
    );
    const created = (await readdir(tmp)).filter((name) =>
      name.startsWith('spoolkit-example-'),
    );
    expect(created).toHaveLength(1);
    child.kill('SIGINT');

    expect(await exited).toBe(130);
    expect(stderr).toContain(
      `interrupted by SIGINT: deleted the temporary spool root ${path.join(tmp, created[0] as string)}`,
    );
    expect(await readdir(tmp)).toEqual([]);
    await rm(tmp, { recursive: true, force: true });
  }, 120_000);

  it('interrupt keeps the temporary root of outside spools', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'spoolkit-example-int-'));
    const live = path.join(root, 'live');
    const policy = await writeSpoolPolicy('live.lua', live);
    const child = spawn(
      process.execPath,
      [CLI, '--policy', policy, '--large-message', '256'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, TMPDIR: tmp },
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => {
      child.on('exit', (code) => resolve(code));
    });
    // Interrupt while the generated message's body is being written.
    await vi.waitFor(
      async () => {
        const temp = path.join(live, 'data', 'new');
        const sizes = await Promise.all(
          (await readdir(temp).catch(() => [])).map((name) =>
            stat(path.join(temp, name)).then(
              (stats) => stats.size,
              () => 0,
            ),
          ),
        );
        expect(Math.max(0, ...sizes)).toBeGreaterThan(1024 * 1024);
      },
      { timeout: 60_000, interval: 5 },
    );
    child.kill('SIGINT');

    expect(await exited).toBe(130);
    const [kept] = await readdir(tmp);
    const temporaryRoot = path.join(tmp, kept as string);
    expect(stderr).toContain(
      `outside the temporary spool root, so ${temporaryRoot} is kept with its acknowledged.jsonl`,
    );
    expect(stderr).toContain(
      `the policy's spools lie outside the temporary spool root ${temporaryRoot}`,
    );
    const command = `&& node ${CLI} --policy ${policy} --messages ${BUNDLED_MESSAGES} --phase verify --spool-root ${temporaryRoot}`;
    expect(stderr).toContain(command);

    const verify = await runCli([
      '--policy',
      policy,
      '--phase',
      'verify',
      '--spool-root',
      temporaryRoot,
    ]);

    expect(verify.code).toBe(0);
    expect(await countFiles(path.join(live, 'data', 'data'))).toBe(0);
    expect(await countFiles(path.join(live, 'meta', 'data'))).toBe(0);
    await rm(tmp, { recursive: true, force: true });
  }, 120_000);

  it('verify of emptied spools keeps nothing', async () => {
    const spoolRoot = path.join(root, 'emptied');
    const store = await runCli(['--phase', 'store', '--spool-root', spoolRoot]);
    expect(store.code).toBe(0);
    const first = await runCli([
      '--phase',
      'verify',
      '--spool-root',
      spoolRoot,
    ]);
    expect(first.code).toBe(0);

    const second = await runCli([
      '--phase',
      'verify',
      '--spool-root',
      spoolRoot,
    ]);

    expect(second.code).toBe(1);
    expect(summaryLine(second.stdout, 'verified')).toMatch(/^0 of /);
    expect(summaryLine(second.stdout, 'kept')).toBeUndefined();
  });

  it('verify expects only acknowledged messages', async () => {
    const stored = await runCli(['--phase', 'store', '--spool-root', root]);
    expect(stored.code).toBe(0);
    // As if the store phase had stopped after acknowledging its second
    // message, in the middle of writing the third acknowledgement.
    const list = path.join(root, 'acknowledged.jsonl');
    const lines = (await readFile(list, 'utf8')).split('\n');
    const started = lines.filter((line) => line.includes('"started":true'));
    const acknowledged = lines.filter(
      (line) => line.startsWith('{') && !line.includes('"started"'),
    );
    expect(started).toHaveLength(6);
    expect(acknowledged).toHaveLength(6);
    await writeFile(
      list,
      `${[...started, ...acknowledged.slice(0, 2)].join('\n')}\n{"id":"`,
    );

    const verify = await runCli(['--phase', 'verify', '--spool-root', root]);

    expect(verify.code).toBe(0);
    expect(summaryLine(verify.stdout, 'verified')).toMatch(/^2 of 2 messages/);
    expect(summaryLine(verify.stdout, 'unacknowledged')).toMatch(
      /^4 messages the store phase began but did not acknowledge before it stopped/,
    );
    expect(summaryLine(verify.stdout, 'removed')).toMatch(/^6 messages by id/);
    await expect(readFile(list, 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('names files the sweep cannot remove', async () => {
    const stored = await runCli(['--phase', 'store', '--spool-root', root]);
    expect(stored.code).toBe(0);
    const stray = path.join(root, 'data', 'data', 'strayfile');
    await writeFile(stray, 'junk');
    // An empty stray folder, which the spool's cleanup() prunes.
    await mkdir(path.join(root, 'meta', 'data', 'zz'));

    const verify = await runCli(['--phase', 'verify', '--spool-root', root]);

    expect(verify.code).toBe(0);
    expect(summaryLine(verify.stdout, 'removed')).toMatch(
      /then 0 more entries found after them/,
    );
    expect(
      verify.stdout.split('\n').filter((line) => line.startsWith('left:')),
    ).toEqual([
      `left:     ${stray}, which the spool cannot read as an entry; move it out by hand`,
    ]);
  });

  it('verify finishes an interrupted removal', async () => {
    const stored = await runCli(['--phase', 'store', '--spool-root', root]);
    expect(stored.code).toBe(0);
    // As if a verify run had passed, begun removing, and been interrupted
    // after its first message.
    const list = path.join(root, 'acknowledged.jsonl');
    const first = JSON.parse(
      (await readFile(list, 'utf8')).split('\n')[0] as string,
    );
    await appendFile(list, '{"removing":true}\n');
    await withSpools(async (spools) => {
      const id = SpoolId.parse(first.id);
      await spools.data.remove(id);
      await spools.meta.remove(id);
    }, root);

    const verify = await runCli(['--phase', 'verify', '--spool-root', root]);

    expect(verify.code).toBe(0);
    expect(summaryLine(verify.stdout, 'resumed')).toMatch(
      /this run finished the removal without verifying again$/,
    );
    expect(summaryLine(verify.stdout, 'verified')).toBeUndefined();
    expect(await countFiles(path.join(root, 'data', 'data'))).toBe(0);
    expect(await countFiles(path.join(root, 'meta', 'data'))).toBe(0);
    await expect(readFile(list, 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('verify without the source files checks envelope hashes', async () => {
    const other = path.join(root, 'other-messages');
    await mkdir(other);
    await cp(
      path.join(BUNDLED_MESSAGES, 'plain-text.eml'),
      path.join(other, 'renamed.eml'),
    );
    const spoolRoot = path.join(root, 'spools');
    const stored = await runCli([
      '--phase',
      'store',
      '--spool-root',
      spoolRoot,
      '--messages',
      other,
      '--large-message',
      '0',
    ]);
    expect(stored.code).toBe(0);

    // The bundled messages folder has no renamed.eml, and an empty one
    // has no file at all.
    const empty = path.join(root, 'no-messages');
    await mkdir(empty);
    const unsourced = [];
    for (const messages of [[], ['--messages', empty]]) {
      unsourced.push(
        await runCli([
          '--phase',
          'verify',
          '--spool-root',
          spoolRoot,
          '--keep',
          ...messages,
        ]),
      );
    }
    // A source file that differs from the stored body fails it.
    await appendFile(path.join(other, 'renamed.eml'), 'edited later\r\n');
    const changed = await runCli([
      '--phase',
      'verify',
      '--spool-root',
      spoolRoot,
      '--messages',
      other,
    ]);

    for (const result of unsourced) {
      expect(result.code).toBe(0);
      expect(summaryLine(result.stdout, 'verified')).toMatch(/^1 of 1 message/);
      expect(summaryLine(result.stdout, 'unsourced')).toMatch(
        /^1 message verified against its envelope's SHA-256 only/,
      );
    }
    expect(changed.code).toBe(1);
    expect(summaryLine(changed.stdout, 'problems')).toBe(
      '0 damaged meta skipped, 1 mismatched, 0 without body, 0 messages not found',
    );
    expect(changed.stderr).toContain(
      'body matches its envelope but not the source file of that name',
    );
  });

  it('store phase starts a new list', async () => {
    const spoolRoot = path.join(root, 'twice');
    const other = path.join(root, 'other-messages');
    await mkdir(other);
    await cp(
      path.join(BUNDLED_MESSAGES, 'plain-text.eml'),
      path.join(other, 'renamed.eml'),
    );
    const first = await runCli([
      '--phase',
      'store',
      '--spool-root',
      spoolRoot,
      '--messages',
      other,
      '--large-message',
      '0',
    ]);
    expect(first.code).toBe(0);
    // Spools emptied by hand, with the first store phase's list left behind.
    await rm(path.join(spoolRoot, 'data'), { recursive: true, force: true });
    await rm(path.join(spoolRoot, 'meta'), { recursive: true, force: true });

    const second = await runCli([
      '--phase',
      'store',
      '--spool-root',
      spoolRoot,
    ]);
    const verify = await runCli([
      '--phase',
      'verify',
      '--spool-root',
      spoolRoot,
    ]);

    expect(second.code).toBe(0);
    expect(verify.code).toBe(0);
    expect(summaryLine(verify.stdout, 'verified')).toMatch(/^6 of 6 messages/);
  });

  it('store killed mid-body loses no body', async () => {
    const child = spawn(
      process.execPath,
      [CLI, '--phase', 'store', '--spool-root', root, '--large-message', '128'],
      { stdio: 'ignore' },
    );
    const exited = new Promise<void>((resolve) => {
      child.on('exit', () => resolve());
    });
    // LocalDisk writes each body to a temp file in data/new first.
    const temp = path.join(root, 'data', 'new');
    await vi.waitFor(
      async () => {
        const sizes = await Promise.all(
          (await readdir(temp).catch(() => [])).map(async (name) =>
            stat(path.join(temp, name)).then(
              (stats) => stats.size,
              () => 0,
            ),
          ),
        );
        expect(Math.max(0, ...sizes)).toBeGreaterThan(1024 * 1024);
      },
      { timeout: 60_000, interval: 2 },
    );
    // Kill once the generated message's envelope is in place, or after
    // 3 s. Stored at once with its 170 MB body, the envelope would get
    // there while the body is still being written.
    await vi
      .waitFor(
        async () => {
          expect(await countFiles(path.join(root, 'meta', 'data'))).toBe(6);
        },
        { timeout: 3_000, interval: 2 },
      )
      .catch(() => undefined);
    child.kill('SIGKILL');
    await exited;

    const verify = await runCli(['--phase', 'verify', '--spool-root', root]);

    expect(summaryLine(verify.stdout, 'problems')).toContain('0 without body');
    expect(verify.code).toBe(0);
    // 5 of 5, or 6 of 6 when the kill came after the last envelope.
    expect(summaryLine(verify.stdout, 'verified')).toMatch(
      /^(\d) of \1 messages/,
    );
  }, 90_000);

  it('early interrupt leaves no folder', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'spoolkit-example-int-'));
    const child = spawn(process.execPath, [CLI, '--large-message', '200'], {
      stdio: 'ignore',
      env: { ...process.env, TMPDIR: tmp },
    });
    const exited = new Promise<number | null>((resolve) => {
      child.on('exit', (code) => resolve(code));
    });
    // The 200 MiB message is still being built then, before the spool root exists.
    await new Promise((resolve) => setTimeout(resolve, 500));
    child.kill('SIGINT');

    expect(await exited).toBe(130);
    expect(await readdir(tmp)).toEqual([]);
    await rm(tmp, { recursive: true, force: true });
  }, 60_000);

  it('kind with policy exits 2', async () => {
    const result = await runCli([
      '--kind',
      'RocksDB',
      '--policy',
      BUNDLED_POLICIES.LocalDisk,
      '--spool-root',
      root,
    ]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      '--kind selects a bundled policy and cannot be combined with --policy',
    );
  });

  it('unknown option exits 2', async () => {
    const result = await runCli(['--spool-root', root, '--kind', 'Memory']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("argument 'Memory' is invalid");
  });

  it('missing policy exits 2', async () => {
    const result = await runCli([
      '--policy',
      path.join(root, 'absent.lua'),
      '--spool-root',
      root,
    ]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('absent.lua');
  });
});

/** Returns the fatal error line the CLI prints, without its `error:` label. */
function errorLine(stderr: string): string | undefined {
  return summaryLine(stderr, 'error');
}

async function withSpools(
  work: (spools: Awaited<ReturnType<typeof openSpools>>) => Promise<void>,
  spoolRoot = root,
): Promise<void> {
  const spools = await openSpools({
    policyPath: BUNDLED_POLICIES.LocalDisk,
    spoolRoot,
    logger: silentLogger,
  });
  try {
    await work(spools);
  } finally {
    await spools.registry.closeAll();
  }
}
