import { describe, expect, it } from 'vitest';
import { sliceOf, takeTurns } from '../src/turns.js';

describe('takeTurns', () => {
  it('swaps the side that goes first at every slice', async () => {
    const calls: string[] = [];
    await takeTurns(['a', 'b'], 4, async (side, slice) => {
      calls.push(`${side}${slice}`);
    });
    expect(calls).toEqual(['a0', 'b0', 'b1', 'a1', 'a2', 'b2', 'b3', 'a3']);
  });

  it('waits for each turn before the next starts', async () => {
    let running = 0;
    let maxRunning = 0;
    await takeTurns(['a', 'b'], 3, async () => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((resolve) => setTimeout(resolve, 2));
      running -= 1;
    });
    expect(maxRunning).toBe(1);
  });
});

describe('sliceOf', () => {
  it('puts every item in exactly one slice, in order', () => {
    for (let length = 0; length <= 20; length++) {
      const items = Array.from({ length }, (_, i) => i);
      for (let slices = 1; slices <= 9; slices++) {
        const parts = Array.from({ length: slices }, (_, slice) =>
          sliceOf(items, slice, slices),
        );
        expect(parts.flat()).toEqual(items);
        const sizes = parts.map((part) => part.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }
    }
  });
});
