import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ReadAhead } from '../src/read-ahead.js';
import { recordUnhandledRejections } from './helpers.js';

const unhandled = recordUnhandledRejections();

describe('ReadAhead', () => {
  it('keeps push order', async () => {
    const queue = new ReadAhead<string>(3);
    queue.push(sleep(20).then(() => 'slow'));
    queue.push('value');
    queue.push(Promise.resolve('fast'));

    const results = [
      await queue.shift(),
      await queue.shift(),
      await queue.shift(),
    ];

    expect(results).toEqual(['slow', 'value', 'fast']);
    expect(queue.size).toBe(0);
  });

  it('rejects a push when full', () => {
    const queue = new ReadAhead<number>(2);
    queue.push(1);
    queue.push(2);

    expect(queue.full).toBe(true);
    expect(() => queue.push(3)).toThrow(RangeError);
    expect(queue.size).toBe(2);
  });

  it('rejects a shift when empty', () => {
    const queue = new ReadAhead<number>(2);

    expect(() => queue.shift()).toThrow(RangeError);
  });

  it('rejects a limit below one', () => {
    expect(() => new ReadAhead<number>(0)).toThrow(RangeError);
    expect(() => new ReadAhead<number>(1.5)).toThrow(RangeError);
  });

  it('passes a rejection to shift', async () => {
    const queue = new ReadAhead<number>(1);
    queue.push(Promise.reject(new Error('read failed')));
    // The rejection happens while the promise waits in the queue.
    await sleep(20);

    await expect(queue.shift()).rejects.toThrow('read failed');
    expect(unhandled).toEqual([]);
  });

  it('settles dropped rejections quietly', async () => {
    const queue = new ReadAhead<number>(2);
    let settled = false;
    queue.push(
      sleep(10).then(() => {
        settled = true;
        throw new Error('read failed');
      }),
    );
    queue.push(1);

    await queue.settle();
    await sleep(20);

    expect(settled).toBe(true);
    expect(queue.size).toBe(0);
    expect(unhandled).toEqual([]);
  });

  it('settle waits for shifted promises', async () => {
    const queue = new ReadAhead<number>(2);
    let settled = false;
    queue.push(
      sleep(10).then(() => {
        settled = true;
        return 1;
      }),
    );
    const taken = queue.shift();

    await queue.settle();

    expect(settled).toBe(true);
    expect(await taken).toBe(1);
  });
});
