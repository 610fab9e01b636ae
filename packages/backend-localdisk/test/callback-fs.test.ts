import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { open, readFile } from '../src/callback-fs.js';
import { makeTempDir, openFdCount } from './helpers.js';

describe('descriptor handle', () => {
  it('writes a large buffer whole', async () => {
    const file = path.join(makeTempDir(), 'big');
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 7);
    for (let i = 0; i < bytes.length; i += 4096) {
      bytes[i] = i % 251;
    }
    const handle = await open(file, 'wx', 0o600);
    await handle.writeFile(bytes);
    await handle.close();

    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect((await readFile(file)).equals(bytes)).toBe(true);
  });

  it('writes text and reads it back', async () => {
    const file = path.join(makeTempDir(), 'text');
    const handle = await open(file, 'w+', 0o600);
    await handle.writeFile('4121\n');
    await handle.write(Buffer.from('9'), 0, 1, 0);
    await handle.truncate(3);
    await handle.datasync();
    await handle.sync();
    const stats = await handle.stat();
    await handle.close();

    expect(stats.size).toBe(3);
    expect(readFileSync(file, 'utf8')).toBe('912');
  });

  it('rejects calls after close', async () => {
    const file = path.join(makeTempDir(), 'closed');
    const handle = await open(file, 'wx', 0o600);
    await handle.close();

    await expect(handle.writeFile('late')).rejects.toMatchObject({
      code: 'EBADF',
    });
    await expect(handle.sync()).rejects.toMatchObject({ code: 'EBADF' });
    expect(handle.fd).toBe(-1);
  });

  it('closes its descriptor once', async () => {
    const before = openFdCount();
    const handle = await open(path.join(makeTempDir(), 'twice'), 'wx', 0o600);
    expect(openFdCount()).toBe(before + 1);

    await handle.close();
    await handle.close();

    expect(openFdCount()).toBe(before);
  });

  it('reports a missing file as ENOENT', async () => {
    const missing = path.join(makeTempDir(), 'missing');

    await expect(open(missing, 'r')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(readFile(missing)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
