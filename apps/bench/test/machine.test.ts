import { readFileSync } from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { describeMachine } from '../src/machine.js';

describe('describeMachine', () => {
  it('tells whether an ext4 scratch directory has a journal', async () => {
    const { disk } = await describeMachine(os.tmpdir());
    if (disk.fsType !== 'ext4') {
      expect(disk.journal).toBeUndefined();
      return;
    }
    const name = disk.device.split('/').at(-1);
    let task: string | undefined;
    try {
      task = readFileSync(`/sys/fs/ext4/${name}/journal_task`, 'utf8');
    } catch {
      task = undefined;
    }
    expect(disk.journal).toBe(
      task === undefined ? undefined : task.trim() !== '<none>',
    );
  });
});
