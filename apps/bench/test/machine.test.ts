import { readFileSync } from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { describeMachine, scratchNotes } from '../src/machine.js';

describe('describeMachine', () => {
  it('reads the ext4 journal state', async () => {
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

describe('scratchNotes', () => {
  const disk = (fsType: string, journal?: boolean) => ({
    path: '/scratch',
    fsType,
    device: '/dev/x',
    sizeBytes: 1,
    freeBytes: 1,
    ...(journal === undefined ? {} : { journal }),
  });

  const everything = { createsFiles: true, syncs: true };

  it('warns about ext4 without a journal', () => {
    const notes = scratchNotes(disk('ext4', false), '/scratch', everything);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain('without a journal');
  });

  it('warns about a file system in memory', () => {
    const notes = scratchNotes(disk('tmpfs'), '/dev/shm/x', everything);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain('fsync writes nothing');
  });

  it('adds no note for journaled ext4', () => {
    expect(scratchNotes(disk('ext4', true), '/scratch', everything)).toEqual(
      [],
    );
  });

  it('skips notes for work not run', () => {
    const none = { createsFiles: false, syncs: false };
    expect(scratchNotes(disk('ext4', false), '/scratch', none)).toEqual([]);
    expect(scratchNotes(disk('tmpfs'), '/dev/shm/x', none)).toEqual([]);
  });
});
