import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { OperationTimer, timeWork } from '../src/measure.js';

setFlagsFromString('--expose-gc');
const fullGc = runInNewContext('gc') as () => void;

describe('full collection count', () => {
  it('counts the full collections made during timed calls', async () => {
    // Finishes any collection V8 has under way, which would otherwise
    // complete during the run and count as a fourth.
    fullGc();
    const timer = new OperationTimer();
    await timer.run(1, { count: 3 }, async () => {
      fullGc();
    });
    const stats = timer.finish();
    expect(stats.fullGcPerSecond * stats.seconds).toBeCloseTo(3, 5);
  });

  it('leaves out collections between runs', async () => {
    const timer = new OperationTimer();
    await timer.run(1, { count: 1 }, async () => {});
    fullGc();
    fullGc();
    await timer.run(1, { count: 1 }, async () => {});
    expect(timer.finish().fullGcPerSecond).toBe(0);
  });

  it('counts them in timed work too', async () => {
    fullGc();
    const { stats } = await timeWork(
      () => 1,
      async () => {
        fullGc();
        fullGc();
      },
    );
    expect(stats.fullGcPerSecond * stats.seconds).toBeCloseTo(2, 5);
  });
});
