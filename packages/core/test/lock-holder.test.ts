import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isProcessRunning } from '../src/index.js';

describe('isProcessRunning', () => {
  it('sees a running process', () => {
    const child = spawn('sleep', ['30']);
    try {
      expect(isProcessRunning(child.pid as number)).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('sees no reaped process', () => {
    const exited = spawnSync('true').pid;
    expect(isProcessRunning(exited)).toBe(false);
  });

  // A zombie still takes signal 0; only /proc shows that it has exited.
  it.skipIf(!existsSync('/proc/self/stat'))(
    'counts a zombie as exited',
    async () => {
      // sh starts sleep 0 and then replaces itself with sleep 30, which never reaps it.
      const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      try {
        const zombie = await new Promise<number>((resolve) => {
          parent.stdout.once('data', (chunk: Buffer) =>
            resolve(Number(chunk.toString().trim())),
          );
        });
        await expect
          .poll(() => isProcessRunning(zombie), { timeout: 5000 })
          .toBe(false);
        expect(existsSync(`/proc/${zombie}`)).toBe(true);
      } finally {
        parent.kill('SIGKILL');
      }
    },
  );
});
